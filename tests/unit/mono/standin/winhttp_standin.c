/*
 * Copyright: contributors to purview.device_proxy
 * GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
 *
 * A documented-contract stand-in for the winhttp.dll, crypt32.dll and kernel32.dll functions the
 * collection's C# calls, so mono runs the real P/Invoke code (dllmap) on Linux.
 *
 * Each function follows its page on Microsoft Learn (cited above it) and, where the page is
 * silent, what Wine's conformance tests (dlls/winhttp/tests/winhttp.c, run by the Wine project
 * against real Windows) show Windows does. Misuse the documentation forbids is never tolerated:
 * it is recorded as a VIOLATION (printed to stderr and returned by standin_finish, which the test
 * fails on) and the call fails the way Windows fails it. Handles and contexts still open at
 * standin_finish are violations too ("never closed").
 *
 * Answers come from a script (standin_load): one record per line, fields separated by tabs:
 *   os        automatic_proxy=0|1  chain_option=0|1
 *   default   access=N  proxy=S  bypass=S          WinHttpGetDefaultProxyConfiguration
 *   ie        found=0|1  auto_detect=0|1  proxy=S  bypass=S  auto_config_url=S
 *   wpad      error=N | proxy=S  [error_first=N]   WinHttpGetProxyForUrl (error_first: the first
 *                                                  call fails with it, later calls answer)
 *   set_proxy error=N                              WinHttpSetOption(WINHTTP_OPTION_PROXY) fails
 *   fail      call=FUNCTION  error=N               that function fails once with an error its
 *                                                  page lists (the script names the page's error)
 *   host NAME [via=direct|PROXY] status=N  header=Name: value ...  fail_at=resolve|connect|send|receive
 *             error=N  delay_ms=N  chain=a.der,b.der  chain_error=N
 * A host record answers a request to NAME sent the way "via" says (any way when absent).
 * Last-error values are delivered through errno, which is what mono reads for SetLastError=true.
 */

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef int BOOL;
typedef uint32_t DWORD;
typedef uint16_t WCHAR;
typedef void *HINTERNET;

#define EXPORT __attribute__((visibility("default")))

/* Error numbers (winerror.h, winhttp.h). */
#define ERROR_INVALID_HANDLE 6
#define ERROR_INVALID_PARAMETER 87
#define ERROR_INSUFFICIENT_BUFFER 122
#define ERROR_FILE_NOT_FOUND 2
#define ERROR_WINHTTP_TIMEOUT 12002
#define ERROR_WINHTTP_INVALID_OPTION 12009
#define ERROR_WINHTTP_OPERATION_CANCELLED 12017
#define ERROR_WINHTTP_INCORRECT_HANDLE_TYPE 12018
#define ERROR_WINHTTP_HEADER_NOT_FOUND 12150
#define ERROR_WINHTTP_INCORRECT_HANDLE_STATE 12019
#define ERROR_WINHTTP_AUTODETECTION_FAILED 12180

#define WINHTTP_ACCESS_TYPE_DEFAULT_PROXY 0
#define WINHTTP_ACCESS_TYPE_NO_PROXY 1
#define WINHTTP_ACCESS_TYPE_NAMED_PROXY 3
#define WINHTTP_ACCESS_TYPE_AUTOMATIC_PROXY 4

#define WINHTTP_OPTION_CONTEXT_VALUE 45
#define WINHTTP_OPTION_PARENT_HANDLE 21
#define WINHTTP_OPTION_PROXY 38
#define WINHTTP_OPTION_DISABLE_FEATURE 63
#define WINHTTP_OPTION_AUTOLOGON_POLICY 77
#define WINHTTP_OPTION_SERVER_CERT_CONTEXT 78
#define WINHTTP_OPTION_SERVER_CERT_CHAIN_CONTEXT 147

#define WINHTTP_QUERY_STATUS_CODE 19
#define WINHTTP_QUERY_CUSTOM 65535
#define WINHTTP_QUERY_FLAG_NUMBER 0x20000000u
#define WINHTTP_QUERY_MODIFIERS 0xF0000000u
#define WINHTTP_FLAG_SECURE 0x00800000u
#define WINHTTP_AUTOPROXY_AUTO_DETECT 0x1
#define WINHTTP_AUTOPROXY_CONFIG_URL 0x2

#define CALLBACK_RESOLVING_NAME 0x1
#define CALLBACK_NAME_RESOLVED 0x2
#define CALLBACK_CONNECTING 0x4
#define CALLBACK_CONNECTED 0x8
#define CALLBACK_SENDING 0x10
#define CALLBACK_SENT 0x20
#define CALLBACK_RECEIVING 0x40
#define CALLBACK_RECEIVED 0x80
#define CALLBACK_HANDLE_CLOSING 0x800

#define CERT_CHAIN_CACHE_ONLY_URL_RETRIEVAL 0x00000004u

/* ---------------------------------------------------------------- recording */

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static char violations[16384];
static char calls[65536];
static int network_fetches;
static __thread int in_callback;

static void violation(const char *format, ...)
{
    char line[512];
    va_list args;
    va_start(args, format);
    vsnprintf(line, sizeof line, format, args);
    va_end(args);
    fprintf(stderr, "winhttp_standin: VIOLATION %s\n", line);
    pthread_mutex_lock(&lock);
    if (strlen(violations) + strlen(line) + 12 < sizeof violations) {
        strcat(violations, "VIOLATION ");
        strcat(violations, line);
        strcat(violations, "\n");
    }
    pthread_mutex_unlock(&lock);
}

static void record(const char *format, ...)
{
    char line[512];
    va_list args;
    va_start(args, format);
    vsnprintf(line, sizeof line, format, args);
    va_end(args);
    pthread_mutex_lock(&lock);
    if (strlen(calls) + strlen(line) + 7 < sizeof calls) {
        strcat(calls, "CALL ");
        strcat(calls, line);
        strcat(calls, "\n");
    }
    pthread_mutex_unlock(&lock);
}

/* The last thing a failing call does: mono reads errno as the Win32 last error. */
static BOOL fail(DWORD error)
{
    errno = (int)error;
    return 0;
}

static void *fail_null(DWORD error)
{
    errno = (int)error;
    return NULL;
}

/* WinHTTP Callback notes (Learn: "WINHTTP_STATUS_CALLBACK callback function"): a callback must not
 * call back into WinHTTP on the same handle in a way that waits on it; the collection's rule is
 * stricter (no WinHTTP call at all from a callback), and every entry point checks it. */
#define ENTER(name)                                                                                  \
    do {                                                                                             \
        if (in_callback) violation("%s called from inside a status callback", name);               \
    } while (0)
#define SCRIPTED_FAILURE(name, failed)                                                               \
    do {                                                                                             \
        DWORD scripted = scripted_failure(name);                                                     \
        if (scripted) return failed(scripted);                                                       \
    } while (0)

static void utf16_to_utf8(const WCHAR *in, char *out, size_t size)
{
    size_t n = 0;
    if (!in) {
        snprintf(out, size, "(null)");
        return;
    }
    while (*in && n + 1 < size) {
        out[n++] = (char)(*in < 128 ? *in : '?');
        in++;
    }
    out[n] = 0;
}

static WCHAR *utf8_to_utf16_alloc(const char *in);
static DWORD scripted_failure(const char *function);

/* ---------------------------------------------------------------- script */

#define MAX_RECORDS 64
#define MAX_FIELDS 16

typedef struct {
    char kind[16];
    char name[128];
    int nfields;
    char key[MAX_FIELDS][32];
    char value[MAX_FIELDS][256];
} record_t;

static record_t script[MAX_RECORDS];
static int script_count;

static const char *field(const record_t *r, const char *key)
{
    for (int i = 0; r && i < r->nfields; i++)
        if (strcmp(r->key[i], key) == 0) return r->value[i];
    return NULL;
}

static long field_int(const record_t *r, const char *key, long fallback)
{
    const char *v = field(r, key);
    return v ? strtol(v, NULL, 0) : fallback;
}

static const record_t *find_record(const char *kind)
{
    for (int i = 0; i < script_count; i++)
        if (strcmp(script[i].kind, kind) == 0) return &script[i];
    return NULL;
}

static int used[MAX_RECORDS];
static int wpad_calls;

/* A "fail" record for this function not used yet: its error, once. */
static DWORD scripted_failure(const char *function)
{
    DWORD error = 0;
    pthread_mutex_lock(&lock);
    for (int i = 0; i < script_count && !error; i++) {
        const char *call = field(&script[i], "call");
        if (strcmp(script[i].kind, "fail") == 0 && call && strcmp(call, function) == 0 && !used[i]) {
            used[i] = 1;
            error = (DWORD)field_int(&script[i], "error", ERROR_INVALID_PARAMETER);
        }
    }
    pthread_mutex_unlock(&lock);
    return error;
}

/* ---------------------------------------------------------------- handles */

enum { H_SESSION = 1, H_CONNECT = 2, H_REQUEST = 3 };

typedef void (*status_callback)(HINTERNET, uintptr_t, DWORD, void *, DWORD);

typedef struct handle {
    int type;
    int closed;
    struct handle *parent;
    status_callback callback;
    DWORD callback_flags;
    uintptr_t context;
    DWORD access;
    char proxy[256];          /* session: named proxy; request: proxy set by WINHTTP_OPTION_PROXY */
    int proxy_set;            /* request: WINHTTP_OPTION_PROXY was set */
    int timeout_ms;
    char host[128];
    int secure;
    const record_t *answer;   /* request: the host record that answered */
    int answered;
} handle_t;

#define MAX_HANDLES 8192
static handle_t *handles[MAX_HANDLES];
static int handle_count;

static handle_t *new_handle(int type, handle_t *parent)
{
    handle_t *h = calloc(1, sizeof *h);
    h->type = type;
    h->parent = parent;
    h->timeout_ms = parent ? parent->timeout_ms : 60000;
    if (parent) {
        h->callback = parent->callback;   /* children inherit the session's callback */
        h->callback_flags = parent->callback_flags;
        h->context = parent->context;
    }
    pthread_mutex_lock(&lock);
    if (handle_count < MAX_HANDLES) handles[handle_count++] = h;
    pthread_mutex_unlock(&lock);
    return h;
}

/* A handle the caller may use: one this library made, not closed. Handle structures are never
 * freed, so a use after close is seen rather than undefined. */
static handle_t *lookup(HINTERNET value, const char *function, int allow_closed)
{
    handle_t *found = NULL;
    pthread_mutex_lock(&lock);
    for (int i = 0; i < handle_count; i++)
        if (handles[i] == value) found = handles[i];
    pthread_mutex_unlock(&lock);
    if (!found) {
        if (value) violation("%s: handle %p was never returned by WinHTTP", function, value);
        return NULL;
    }
    if (found->closed && !allow_closed) {
        violation("%s: handle %p used after WinHttpCloseHandle", function, value);
        return NULL;
    }
    return found;
}

static void notify(handle_t *h, DWORD status, void *info, DWORD length)
{
    if (!h->callback || !(h->callback_flags & status)) return;
    in_callback = 1;
    h->callback(h, h->context, status, info, length);
    in_callback = 0;
}

/* ---------------------------------------------------------------- allocations (GlobalAlloc) */

#define MAX_ALLOCS 8192
static void *allocs[MAX_ALLOCS];
static int alloc_count;

static void *global_alloc(size_t size)
{
    void *p = calloc(1, size);
    pthread_mutex_lock(&lock);
    for (int i = 0; i < MAX_ALLOCS; i++)
        if (!allocs[i]) {
            allocs[i] = p;
            if (i >= alloc_count) alloc_count = i + 1;
            break;
        }
    pthread_mutex_unlock(&lock);
    return p;
}

static WCHAR *utf8_to_utf16_alloc(const char *in)
{
    size_t n = strlen(in);
    WCHAR *out = global_alloc((n + 1) * sizeof(WCHAR));
    for (size_t i = 0; i < n; i++) out[i] = (unsigned char)in[i];
    return out;
}

/* Learn: GlobalFree function (winbase.h). "If the function succeeds, the return value is NULL";
 * freeing memory that is not a global allocation is the caller's bug. */
EXPORT void *GlobalFree(void *memory)
{
    int found = 0;
    pthread_mutex_lock(&lock);
    for (int i = 0; i < alloc_count; i++)
        if (allocs[i] == memory && memory) {
            allocs[i] = NULL;
            found = 1;
        }
    pthread_mutex_unlock(&lock);
    if (!found) {
        violation("GlobalFree(%p): not memory WinHTTP allocated (or freed twice)", memory);
        return memory;
    }
    free(memory);
    return NULL;
}

/* ---------------------------------------------------------------- certificates (crypt32) */

/* Learn: CERT_CONTEXT structure (wincrypt.h). */
typedef struct {
    DWORD dwCertEncodingType;
    uint8_t *pbCertEncoded;
    DWORD cbCertEncoded;
    void *pCertInfo;
    void *hCertStore;
} cert_context_t;

typedef struct { DWORD dwErrorStatus; DWORD dwInfoStatus; } trust_status_t;

/* Learn: CERT_CHAIN_ELEMENT, CERT_SIMPLE_CHAIN, CERT_CHAIN_CONTEXT structures (wincrypt.h). */
typedef struct {
    DWORD cbSize;
    const cert_context_t *pCertContext;
    trust_status_t TrustStatus;
    void *pRevocationInfo;
    void *pIssuanceUsage;
    void *pApplicationUsage;
    const WCHAR *pwszExtendedErrorInfo;
} chain_element_t;

typedef struct {
    DWORD cbSize;
    trust_status_t TrustStatus;
    DWORD cElement;
    chain_element_t **rgpElement;
    void *pTrustListInfo;
    BOOL fHasRevocationFreshnessTime;
    DWORD dwRevocationFreshnessTime;
} simple_chain_t;

typedef struct {
    DWORD cbSize;
    trust_status_t TrustStatus;
    DWORD cChain;
    simple_chain_t **rgpChain;
    DWORD cLowerQualityChainContext;
    void *rgpLowerQualityChainContext;
    BOOL fHasRevocationFreshnessTime;
    DWORD dwRevocationFreshnessTime;
    DWORD dwCreateFlags;
    uint8_t ChainId[16];
} chain_context_t;

/* Every context handed out, with what made it: a certificate context keeps the host record
 * whose chain it starts, so CertGetCertificateChain can build that chain. */
typedef struct {
    void *pointer;
    int is_chain;
    const record_t *answer;
    int freed;
} context_entry_t;

#define MAX_CONTEXTS 4096
static context_entry_t contexts[MAX_CONTEXTS];
static int context_count;

static void track_context(void *pointer, int is_chain, const record_t *answer)
{
    pthread_mutex_lock(&lock);
    if (context_count < MAX_CONTEXTS) {
        contexts[context_count].pointer = pointer;
        contexts[context_count].is_chain = is_chain;
        contexts[context_count].answer = answer;
        contexts[context_count].freed = 0;
        context_count++;
    }
    pthread_mutex_unlock(&lock);
}

static context_entry_t *find_context(const void *pointer, int is_chain)
{
    context_entry_t *found = NULL;
    pthread_mutex_lock(&lock);
    for (int i = 0; i < context_count; i++)
        if (contexts[i].pointer == pointer && contexts[i].is_chain == is_chain && !contexts[i].freed) found = &contexts[i];
    pthread_mutex_unlock(&lock);
    return found;
}

static int read_file(const char *path, uint8_t **data, DWORD *size)
{
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    *data = malloc((size_t)n);
    *size = (DWORD)fread(*data, 1, (size_t)n, f);
    fclose(f);
    return 1;
}

static cert_context_t *make_cert(const char *path)
{
    cert_context_t *c = calloc(1, sizeof *c);
    c->dwCertEncodingType = 1; /* X509_ASN_ENCODING */
    if (!read_file(path, &c->pbCertEncoded, &c->cbCertEncoded)) {
        violation("script: certificate file %s cannot be read", path);
    }
    return c;
}

/* The chain files of a host record, leaf first; count returned. */
static int chain_paths(const record_t *answer, char paths[8][256])
{
    const char *list = field(answer, "chain");
    int n = 0;
    if (!list) return 0;
    char copy[256];
    snprintf(copy, sizeof copy, "%s", list);
    for (char *part = strtok(copy, ","); part && n < 8; part = strtok(NULL, ","))
        snprintf(paths[n++], 256, "%s", part);
    return n;
}

static chain_context_t *make_chain(const record_t *answer)
{
    char paths[8][256];
    int n = chain_paths(answer, paths);
    DWORD error = (DWORD)field_int(answer, "chain_error", 0);
    chain_context_t *chain = calloc(1, sizeof *chain);
    simple_chain_t *simple = calloc(1, sizeof *simple);
    chain->cbSize = sizeof *chain;
    chain->TrustStatus.dwErrorStatus = error;
    chain->cChain = 1;
    chain->rgpChain = calloc(1, sizeof(simple_chain_t *));
    chain->rgpChain[0] = simple;
    simple->cbSize = sizeof *simple;
    simple->TrustStatus.dwErrorStatus = error;
    simple->cElement = (DWORD)n;
    simple->rgpElement = calloc((size_t)(n ? n : 1), sizeof(chain_element_t *));
    for (int i = 0; i < n; i++) {
        chain_element_t *e = calloc(1, sizeof *e);
        e->cbSize = sizeof *e;
        e->pCertContext = make_cert(paths[i]);
        e->TrustStatus.dwErrorStatus = i == n - 1 ? error : 0;
        simple->rgpElement[i] = e;
    }
    track_context(chain, 1, answer);
    return chain;
}

/* Learn: CertFreeCertificateContext function (wincrypt.h). "Always returns nonzero"; freeing a
 * context twice (or one never returned) is the caller's bug. */
EXPORT BOOL CertFreeCertificateContext(const cert_context_t *context)
{
    if (!context) return 1;   /* documented: NULL is accepted */
    context_entry_t *entry = find_context(context, 0);
    if (!entry) {
        violation("CertFreeCertificateContext(%p): not a live certificate context", (const void *)context);
        return 1;
    }
    entry->freed = 1;
    return 1;
}

/* Learn: CertFreeCertificateChain function (wincrypt.h). */
EXPORT void CertFreeCertificateChain(const chain_context_t *chain)
{
    context_entry_t *entry = find_context(chain, 1);
    if (!entry) {
        violation("CertFreeCertificateChain(%p): not a live chain context", (const void *)chain);
        return;
    }
    entry->freed = 1;
}

/* Learn: CERT_CHAIN_PARA structure; CertGetCertificateChain function (wincrypt.h).
 * pChainPara->cbSize must be set; ppChainContext receives a context the caller frees with
 * CertFreeCertificateChain. Without CERT_CHAIN_CACHE_ONLY_URL_RETRIEVAL Windows may fetch
 * missing intermediates over the network (AIA): counted here as a network fetch. */
EXPORT BOOL CertGetCertificateChain(void *engine, const cert_context_t *cert, void *time, void *store,
                                    const DWORD *para, DWORD flags, void *reserved, const chain_context_t **out)
{
    (void)engine; (void)time; (void)store;
    SCRIPTED_FAILURE("CertGetCertificateChain", fail);
    if (!cert || !para || !out || reserved) {
        violation("CertGetCertificateChain: null certificate, parameters or output, or pvReserved not NULL");
        return fail(ERROR_INVALID_PARAMETER);
    }
    if (para[0] < 4 * sizeof(DWORD)) {
        violation("CertGetCertificateChain: CERT_CHAIN_PARA.cbSize is %u", para[0]);
        return fail(ERROR_INVALID_PARAMETER);
    }
    context_entry_t *entry = find_context(cert, 0);
    if (!entry) {
        violation("CertGetCertificateChain: the certificate context is not live");
        return fail(ERROR_INVALID_PARAMETER);
    }
    if (!(flags & CERT_CHAIN_CACHE_ONLY_URL_RETRIEVAL)) {
        pthread_mutex_lock(&lock);
        network_fetches++;
        pthread_mutex_unlock(&lock);
    }
    record("CertGetCertificateChain flags=0x%x", flags);
    *out = make_chain(entry->answer);
    return 1;
}

/* ---------------------------------------------------------------- WinHTTP */

/* Learn: WinHttpOpen function (winhttp.h). dwAccessType is one of the WINHTTP_ACCESS_TYPE_*
 * values (AUTOMATIC_PROXY from Windows 8.1, refused before with ERROR_INVALID_PARAMETER); a proxy
 * name only with WINHTTP_ACCESS_TYPE_NAMED_PROXY. */
EXPORT HINTERNET WinHttpOpen(const WCHAR *agent, DWORD access, const WCHAR *proxy, const WCHAR *bypass, DWORD flags)
{
    ENTER("WinHttpOpen");
    SCRIPTED_FAILURE("WinHttpOpen", fail_null);
    char text[256];
    (void)agent; (void)bypass;
    const record_t *os = find_record("os");
    if (access == WINHTTP_ACCESS_TYPE_AUTOMATIC_PROXY && !field_int(os, "automatic_proxy", 1))
        return fail_null(ERROR_INVALID_PARAMETER);
    if (access != WINHTTP_ACCESS_TYPE_DEFAULT_PROXY && access != WINHTTP_ACCESS_TYPE_NO_PROXY &&
        access != WINHTTP_ACCESS_TYPE_NAMED_PROXY && access != WINHTTP_ACCESS_TYPE_AUTOMATIC_PROXY) {
        violation("WinHttpOpen: access type %u is not documented", access);
        return fail_null(ERROR_INVALID_PARAMETER);
    }
    if ((access == WINHTTP_ACCESS_TYPE_NAMED_PROXY) != (proxy != NULL)) {
        violation("WinHttpOpen: a proxy name goes with WINHTTP_ACCESS_TYPE_NAMED_PROXY only (access %u)", access);
        return fail_null(ERROR_INVALID_PARAMETER);
    }
    if (flags != 0) violation("WinHttpOpen: the probe opens synchronous sessions (flags 0x%x)", flags);
    handle_t *h = new_handle(H_SESSION, NULL);
    h->access = access;
    utf16_to_utf8(proxy, text, sizeof text);
    if (proxy) snprintf(h->proxy, sizeof h->proxy, "%s", text);
    record("WinHttpOpen access=%u proxy=%s", access, proxy ? text : "-");
    return h;
}

/* Learn: WinHttpSetTimeouts function. Values in milliseconds, -1 = infinite; below -1 is
 * ERROR_INVALID_PARAMETER. Session or request handles. */
EXPORT BOOL WinHttpSetTimeouts(HINTERNET handle, int resolve, int connect, int send, int receive)
{
    ENTER("WinHttpSetTimeouts");
    handle_t *h = lookup(handle, "WinHttpSetTimeouts", 0);
    if (!h) return fail(ERROR_INVALID_HANDLE);
    if (resolve < -1 || connect < -1 || send < -1 || receive < -1) return fail(ERROR_INVALID_PARAMETER);
    if (h->type == H_CONNECT) return fail(ERROR_WINHTTP_INCORRECT_HANDLE_TYPE);
    h->timeout_ms = receive < 0 ? 0x7fffffff : receive;
    return 1;
}

/* Learn: WinHttpConnect function. hSession must be a session handle
 * (ERROR_WINHTTP_INCORRECT_HANDLE_TYPE otherwise); pswzServerName is required; dwReserved 0. */
EXPORT HINTERNET WinHttpConnect(HINTERNET session, const WCHAR *server, uint16_t port, DWORD reserved)
{
    ENTER("WinHttpConnect");
    SCRIPTED_FAILURE("WinHttpConnect", fail_null);
    handle_t *s = lookup(session, "WinHttpConnect", 0);
    if (!s) return fail_null(ERROR_INVALID_HANDLE);
    if (s->type != H_SESSION) return fail_null(ERROR_WINHTTP_INCORRECT_HANDLE_TYPE);
    if (!server || reserved) {
        violation("WinHttpConnect: no server name, or dwReserved not 0");
        return fail_null(ERROR_INVALID_PARAMETER);
    }
    handle_t *c = new_handle(H_CONNECT, s);
    utf16_to_utf8(server, c->host, sizeof c->host);
    (void)port;
    return c;
}

/* Learn: WinHttpOpenRequest function. hConnect from WinHttpConnect; NULL verb means GET. */
EXPORT HINTERNET WinHttpOpenRequest(HINTERNET connect, const WCHAR *verb, const WCHAR *object, const WCHAR *version,
                                    const WCHAR *referrer, const WCHAR **accept, DWORD flags)
{
    ENTER("WinHttpOpenRequest");
    SCRIPTED_FAILURE("WinHttpOpenRequest", fail_null);
    (void)verb; (void)object; (void)version; (void)referrer; (void)accept;
    handle_t *c = lookup(connect, "WinHttpOpenRequest", 0);
    if (!c) return fail_null(ERROR_INVALID_HANDLE);
    if (c->type != H_CONNECT) return fail_null(ERROR_WINHTTP_INCORRECT_HANDLE_TYPE);
    handle_t *r = new_handle(H_REQUEST, c);
    snprintf(r->host, sizeof r->host, "%s", c->host);
    r->secure = (flags & WINHTTP_FLAG_SECURE) != 0;
    return r;
}

/* Learn: WINHTTP_PROXY_INFO structure. */
typedef struct {
    DWORD dwAccessType;
    WCHAR *lpszProxy;
    WCHAR *lpszProxyBypass;
} proxy_info_t;

/* Learn: WinHttpSetOption function and "Option Flags". dwBufferLength is in bytes for every
 * option that takes a structure or a DWORD (characters only for string options). */
EXPORT BOOL WinHttpSetOption(HINTERNET handle, DWORD option, void *buffer, DWORD length)
{
    ENTER("WinHttpSetOption");
    handle_t *h = lookup(handle, "WinHttpSetOption", 0);
    if (!h) return fail(ERROR_INVALID_HANDLE);
    switch (option) {
    case WINHTTP_OPTION_DISABLE_FEATURE:
    case WINHTTP_OPTION_AUTOLOGON_POLICY:
        if (length != sizeof(DWORD) || !buffer) {
            violation("WinHttpSetOption(%u): a DWORD option takes 4 bytes, got %u", option, length);
            return fail(ERROR_INVALID_PARAMETER);
        }
        if (h->type != H_REQUEST) return fail(ERROR_WINHTTP_INCORRECT_HANDLE_TYPE);
        return 1;
    case WINHTTP_OPTION_CONTEXT_VALUE:
        if (length != sizeof(void *)) {
            violation("WinHttpSetOption(CONTEXT_VALUE): takes %zu bytes, got %u", sizeof(void *), length);
            return fail(ERROR_INVALID_PARAMETER);
        }
        h->context = *(uintptr_t *)buffer;
        return 1;
    case WINHTTP_OPTION_PROXY: {
        if (length != sizeof(proxy_info_t) || !buffer) {
            violation("WinHttpSetOption(PROXY): takes sizeof(WINHTTP_PROXY_INFO)=%zu bytes, got %u", sizeof(proxy_info_t), length);
            return fail(ERROR_INVALID_PARAMETER);
        }
        const record_t *scripted = find_record("set_proxy");
        if (scripted) return fail((DWORD)field_int(scripted, "error", ERROR_INVALID_PARAMETER));
        proxy_info_t *info = buffer;
        utf16_to_utf8(info->lpszProxy, h->proxy, sizeof h->proxy);
        if (!info->lpszProxy) h->proxy[0] = 0;
        h->proxy_set = 1;
        h->access = info->dwAccessType;
        record("WinHttpSetOption PROXY access=%u proxy=%s", info->dwAccessType, h->proxy);
        return 1;
    }
    default:
        violation("WinHttpSetOption: option %u is not one the stand-in knows", option);
        return fail(ERROR_WINHTTP_INVALID_OPTION);
    }
}

/* Learn: WinHttpSetStatusCallback function. Returns the previous callback (NULL the first
 * time); dwReserved must be 0. */
EXPORT void *WinHttpSetStatusCallback(HINTERNET handle, status_callback callback, DWORD flags, uintptr_t reserved)
{
    ENTER("WinHttpSetStatusCallback");
    handle_t *h = lookup(handle, "WinHttpSetStatusCallback", 0);
    if (!h) return fail_null(ERROR_INVALID_HANDLE);
    if (reserved) violation("WinHttpSetStatusCallback: dwReserved must be 0");
    void *previous = (void *)h->callback;
    h->callback = callback;
    h->callback_flags = flags;
    return previous;
}

/* The way the request goes: the proxy name, or "direct". */
static void route_of(handle_t *r, char *route, size_t size)
{
    handle_t *s = r->parent->parent;
    if (r->proxy_set) {
        snprintf(route, size, "%s", r->access == WINHTTP_ACCESS_TYPE_NAMED_PROXY && r->proxy[0] ? r->proxy : "direct");
        return;
    }
    if (s->access == WINHTTP_ACCESS_TYPE_NAMED_PROXY) {
        snprintf(route, size, "%s", s->proxy);
        return;
    }
    const record_t *config = NULL;
    if (s->access == WINHTTP_ACCESS_TYPE_AUTOMATIC_PROXY) {
        /* Learn, WinHttpOpen: automatic = the system's and the user's proxy settings (Internet
         * Options first), unlike DEFAULT_PROXY which reads the WinHTTP default only. */
        config = find_record("ie");
        if (!config || !field(config, "proxy")) config = find_record("default");
    } else if (s->access == WINHTTP_ACCESS_TYPE_DEFAULT_PROXY) {
        config = find_record("default");
        if (config && field_int(config, "access", 1) != WINHTTP_ACCESS_TYPE_NAMED_PROXY) config = NULL;
    }
    const char *proxy = config ? field(config, "proxy") : NULL;
    snprintf(route, size, "%s", proxy && *proxy ? proxy : "direct");
}

static const record_t *answer_for(handle_t *r)
{
    char route[256];
    route_of(r, route, sizeof route);
    for (int i = 0; i < script_count; i++) {
        const record_t *rec = &script[i];
        if (strcmp(rec->kind, "host") != 0 || strcmp(rec->name, r->host) != 0) continue;
        const char *via = field(rec, "via");
        if (via && strcmp(via, route) != 0) continue;
        record("answer host=%s via=%s", r->host, route);
        return rec;
    }
    record("answer host=%s via=%s none", r->host, route);
    return NULL;
}

/* Waits the scripted delay in small steps; a close of the request (the documented way to cancel
 * a synchronous call from another thread) ends it with ERROR_WINHTTP_OPERATION_CANCELLED, and
 * the timeout set by WinHttpSetTimeouts with ERROR_WINHTTP_TIMEOUT. Returns 0 or the error. */
static DWORD wait_for(handle_t *r, long delay_ms)
{
    long waited = 0;
    while (waited < delay_ms) {
        if (r->closed) return ERROR_WINHTTP_OPERATION_CANCELLED;
        if (waited >= r->timeout_ms) return ERROR_WINHTTP_TIMEOUT;
        usleep(5000);
        waited += 5;
    }
    return r->closed ? ERROR_WINHTTP_OPERATION_CANCELLED : 0;
}

static int stage_index(const char *stage)
{
    static const char *stages[] = {"resolve", "connect", "send", "receive"};
    for (int i = 0; stage && i < 4; i++)
        if (strcmp(stage, stages[i]) == 0) return i;
    return -1;
}

/* Learn: WinHttpSendRequest function. dwContext is passed to the status callback with the
 * request handle; headers length must be 0 when there are no headers. Synchronous mode: the
 * callback still receives RESOLVING_NAME .. REQUEST_SENT. */
EXPORT BOOL WinHttpSendRequest(HINTERNET request, const WCHAR *headers, DWORD headers_length, void *optional,
                               DWORD optional_length, DWORD total_length, uintptr_t context)
{
    ENTER("WinHttpSendRequest");
    handle_t *r = lookup(request, "WinHttpSendRequest", 0);
    if (!r) return fail(ERROR_INVALID_HANDLE);
    if (r->type != H_REQUEST) return fail(ERROR_WINHTTP_INCORRECT_HANDLE_TYPE);
    if ((!headers && headers_length) || (!optional && optional_length) || total_length < optional_length) {
        violation("WinHttpSendRequest: lengths without buffers");
        return fail(ERROR_INVALID_PARAMETER);
    }
    r->context = context;
    r->answer = answer_for(r);
    if (!r->answer) return fail(12007); /* ERROR_WINHTTP_NAME_NOT_RESOLVED: no such host */
    int fail_at = stage_index(field(r->answer, "fail_at"));
    DWORD error = (DWORD)field_int(r->answer, "error", 0);
    long delay = field_int(r->answer, "delay_ms", 0);
    const DWORD steps[3][2] = {{CALLBACK_RESOLVING_NAME, CALLBACK_NAME_RESOLVED},
                               {CALLBACK_CONNECTING, CALLBACK_CONNECTED},
                               {CALLBACK_SENDING, CALLBACK_SENT}};
    for (int stage = 0; stage < 3; stage++) {
        notify(r, steps[stage][0], NULL, 0);
        if (fail_at == stage) {
            DWORD waited = wait_for(r, delay);
            return fail(waited ? waited : error);
        }
        if (r->closed) return fail(ERROR_WINHTTP_OPERATION_CANCELLED);
        notify(r, steps[stage][1], NULL, 0);
    }
    return 1;
}

/* Learn: WinHttpReceiveResponse function. lpReserved must be NULL; only after a successful
 * WinHttpSendRequest (ERROR_WINHTTP_INCORRECT_HANDLE_STATE otherwise). */
EXPORT BOOL WinHttpReceiveResponse(HINTERNET request, void *reserved)
{
    ENTER("WinHttpReceiveResponse");
    handle_t *r = lookup(request, "WinHttpReceiveResponse", 0);
    if (!r) return fail(ERROR_INVALID_HANDLE);
    if (reserved) violation("WinHttpReceiveResponse: lpReserved must be NULL");
    if (!r->answer) return fail(ERROR_WINHTTP_INCORRECT_HANDLE_STATE);
    notify(r, CALLBACK_RECEIVING, NULL, 0);
    if (stage_index(field(r->answer, "fail_at")) == 3) {
        DWORD waited = wait_for(r, field_int(r->answer, "delay_ms", 0));
        return fail(waited ? waited : (DWORD)field_int(r->answer, "error", ERROR_WINHTTP_TIMEOUT));
    }
    if (r->closed) return fail(ERROR_WINHTTP_OPERATION_CANCELLED);
    notify(r, CALLBACK_RECEIVED, NULL, 0);
    r->answered = 1;
    return 1;
}

static int header_matches(const char *line, const char *name, const char **value)
{
    size_t n = strlen(name);
    if (strncasecmp(line, name, n) != 0 || line[n] != ':') return 0;
    *value = line + n + 1;
    while (**value == ' ') (*value)++;
    return 1;
}

/* Learn: WinHttpQueryHeaders function. WINHTTP_QUERY_CUSTOM: the header's name in pwszName,
 * lpBuffer output only; otherwise pwszName = WINHTTP_HEADER_NAME_BY_INDEX (NULL).
 * *lpdwBufferLength is in BYTES; when the buffer is too small (or NULL) the call fails with
 * ERROR_INSUFFICIENT_BUFFER and writes the size needed in bytes, terminating null included
 * (Wine's query_headers tests show the same); on success it is the bytes written without the
 * null. WINHTTP_QUERY_FLAG_NUMBER writes a DWORD (4 bytes). */
EXPORT BOOL WinHttpQueryHeaders(HINTERNET request, DWORD level, const WCHAR *name, void *buffer, DWORD *length,
                                DWORD *index)
{
    ENTER("WinHttpQueryHeaders");
    SCRIPTED_FAILURE("WinHttpQueryHeaders", fail);
    handle_t *r = lookup(request, "WinHttpQueryHeaders", 0);
    if (!r) return fail(ERROR_INVALID_HANDLE);
    if (r->type != H_REQUEST) return fail(ERROR_WINHTTP_INCORRECT_HANDLE_TYPE);
    if (!length) {
        violation("WinHttpQueryHeaders: lpdwBufferLength is required");
        return fail(ERROR_INVALID_PARAMETER);
    }
    if (!r->answered) return fail(ERROR_WINHTTP_INCORRECT_HANDLE_STATE);
    DWORD attribute = level & ~WINHTTP_QUERY_MODIFIERS;
    if (attribute == WINHTTP_QUERY_STATUS_CODE && (level & WINHTTP_QUERY_FLAG_NUMBER)) {
        if (name) violation("WinHttpQueryHeaders(STATUS_CODE): pwszName must be WINHTTP_HEADER_NAME_BY_INDEX");
        if (*length != sizeof(DWORD) || !buffer) {
            violation("WinHttpQueryHeaders(STATUS_CODE|NUMBER): the buffer is a DWORD, length %u bytes", *length);
            return fail(ERROR_INVALID_PARAMETER);
        }
        *(DWORD *)buffer = (DWORD)field_int(r->answer, "status", 200);
        return 1;
    }
    if (attribute != WINHTTP_QUERY_CUSTOM) {
        violation("WinHttpQueryHeaders: info level 0x%x is not one the stand-in knows", level);
        return fail(ERROR_INVALID_PARAMETER);
    }
    if (!name) {
        violation("WinHttpQueryHeaders(CUSTOM): the header name goes in pwszName (it is NULL; lpBuffer is output only)");
        return fail(ERROR_INVALID_PARAMETER);
    }
    if (*length % sizeof(WCHAR)) {
        violation("WinHttpQueryHeaders(CUSTOM): lpdwBufferLength %u is not a whole number of WCHARs (bytes expected)", *length);
        return fail(ERROR_INVALID_PARAMETER);
    }
    char wanted[128];
    utf16_to_utf8(name, wanted, sizeof wanted);
    int skip = index ? (int)*index : 0;
    for (int i = 0; i < r->answer->nfields; i++) {
        const char *value;
        if (strcmp(r->answer->key[i], "header") != 0 || !header_matches(r->answer->value[i], wanted, &value)) continue;
        if (skip-- > 0) continue;
        DWORD needed = (DWORD)((strlen(value) + 1) * sizeof(WCHAR));
        if (!buffer || *length < needed) {
            *length = needed;
            return fail(ERROR_INSUFFICIENT_BUFFER);
        }
        WCHAR *out = buffer;
        size_t n = strlen(value);
        for (size_t k = 0; k < n; k++) out[k] = (unsigned char)value[k];
        out[n] = 0;
        *length = (DWORD)(n * sizeof(WCHAR));
        if (index) (*index)++;
        return 1;
    }
    return fail(ERROR_WINHTTP_HEADER_NOT_FOUND);
}

/* Learn: WinHttpQueryOption function and "Option Flags". *lpdwBufferLength in bytes; too small
 * (or NULL buffer): ERROR_INSUFFICIENT_BUFFER with the size needed. SERVER_CERT_CONTEXT and
 * SERVER_CERT_CHAIN_CONTEXT return duplicated contexts the caller frees
 * (CertFreeCertificateContext / CertFreeCertificateChain); an OS without the chain option answers
 * ERROR_WINHTTP_INVALID_OPTION. */
EXPORT BOOL WinHttpQueryOption(HINTERNET handle, DWORD option, void *buffer, DWORD *length)
{
    ENTER("WinHttpQueryOption");
    handle_t *h = lookup(handle, "WinHttpQueryOption", 0);
    if (!h) return fail(ERROR_INVALID_HANDLE);
    if (!length) {
        violation("WinHttpQueryOption: lpdwBufferLength is required");
        return fail(ERROR_INVALID_PARAMETER);
    }
    if (option == WINHTTP_OPTION_PARENT_HANDLE || option == WINHTTP_OPTION_SERVER_CERT_CONTEXT ||
        option == WINHTTP_OPTION_SERVER_CERT_CHAIN_CONTEXT) {
        if (!buffer || *length < sizeof(void *)) {
            *length = sizeof(void *);
            return fail(ERROR_INSUFFICIENT_BUFFER);
        }
    }
    switch (option) {
    case WINHTTP_OPTION_PARENT_HANDLE:
        *(void **)buffer = h->parent;
        *length = sizeof(void *);
        return 1;
    case WINHTTP_OPTION_SERVER_CERT_CONTEXT: {
        if (h->type != H_REQUEST) return fail(ERROR_WINHTTP_INCORRECT_HANDLE_TYPE);
        char paths[8][256];
        if (!h->answered || !h->secure || chain_paths(h->answer, paths) == 0) return fail(ERROR_WINHTTP_INCORRECT_HANDLE_STATE);
        cert_context_t *c = make_cert(paths[0]);
        track_context(c, 0, h->answer);
        *(void **)buffer = c;
        *length = sizeof(void *);
        return 1;
    }
    case WINHTTP_OPTION_SERVER_CERT_CHAIN_CONTEXT: {
        if (!field_int(find_record("os"), "chain_option", 1)) return fail(ERROR_WINHTTP_INVALID_OPTION);
        if (h->type != H_REQUEST) return fail(ERROR_WINHTTP_INCORRECT_HANDLE_TYPE);
        char paths[8][256];
        if (!h->answered || !h->secure || chain_paths(h->answer, paths) == 0) return fail(ERROR_WINHTTP_INCORRECT_HANDLE_STATE);
        *(void **)buffer = make_chain(h->answer);
        *length = sizeof(void *);
        return 1;
    }
    case WINHTTP_OPTION_PROXY: {
        if (!buffer || *length < sizeof(proxy_info_t)) {
            *length = sizeof(proxy_info_t);
            return fail(ERROR_INSUFFICIENT_BUFFER);
        }
        char route[256] = "direct";
        if (h->type == H_REQUEST) route_of(h, route, sizeof route);
        proxy_info_t *info = buffer;
        int direct = strcmp(route, "direct") == 0;
        info->dwAccessType = direct ? WINHTTP_ACCESS_TYPE_NO_PROXY : WINHTTP_ACCESS_TYPE_NAMED_PROXY;
        info->lpszProxy = direct ? NULL : utf8_to_utf16_alloc(route);
        info->lpszProxyBypass = NULL;
        *length = sizeof(proxy_info_t);
        return 1;
    }
    default:
        violation("WinHttpQueryOption: option %u is not one the stand-in knows", option);
        return fail(ERROR_WINHTTP_INVALID_OPTION);
    }
}

/* Learn: WINHTTP_AUTOPROXY_OPTIONS structure. */
typedef struct {
    DWORD dwFlags;
    DWORD dwAutoDetectFlags;
    const WCHAR *lpszAutoConfigUrl;
    void *lpvReserved;
    DWORD dwReserved;
    BOOL fAutoLogonIfChallenged;
} autoproxy_options_t;

/* Learn: WinHttpGetProxyForUrl function. AUTO_DETECT needs dwAutoDetectFlags; CONFIG_URL needs
 * lpszAutoConfigUrl; lpvReserved NULL and dwReserved 0. The strings in pProxyInfo are
 * GlobalAlloc'd and freed by the caller with GlobalFree. */
EXPORT BOOL WinHttpGetProxyForUrl(HINTERNET session, const WCHAR *url, autoproxy_options_t *options, proxy_info_t *info)
{
    ENTER("WinHttpGetProxyForUrl");
    handle_t *s = lookup(session, "WinHttpGetProxyForUrl", 0);
    if (!s) return fail(ERROR_INVALID_HANDLE);
    if (s->type != H_SESSION) return fail(ERROR_WINHTTP_INCORRECT_HANDLE_TYPE);
    if (!url || !options || !info) return fail(ERROR_INVALID_PARAMETER);
    if (((options->dwFlags & WINHTTP_AUTOPROXY_AUTO_DETECT) && !options->dwAutoDetectFlags) ||
        ((options->dwFlags & WINHTTP_AUTOPROXY_CONFIG_URL) && !options->lpszAutoConfigUrl) ||
        options->lpvReserved || options->dwReserved) {
        violation("WinHttpGetProxyForUrl: WINHTTP_AUTOPROXY_OPTIONS breaks its documented rules");
        return fail(ERROR_INVALID_PARAMETER);
    }
    const record_t *wpad = find_record("wpad");
    pthread_mutex_lock(&lock);
    int first = wpad_calls++ == 0;
    pthread_mutex_unlock(&lock);
    if (first && field(wpad, "error_first")) return fail((DWORD)field_int(wpad, "error_first", 0));
    long error = field_int(wpad, "error", ERROR_WINHTTP_AUTODETECTION_FAILED);
    const char *proxy = field(wpad, "proxy");
    record("WinHttpGetProxyForUrl flags=0x%x autologon=%d", options->dwFlags, options->fAutoLogonIfChallenged);
    if (!proxy) return fail((DWORD)error);
    info->dwAccessType = WINHTTP_ACCESS_TYPE_NAMED_PROXY;
    info->lpszProxy = utf8_to_utf16_alloc(proxy);
    info->lpszProxyBypass = NULL;
    return 1;
}

/* Learn: WinHttpGetDefaultProxyConfiguration function. Reads the WinHTTP default proxy (the
 * netsh winhttp configuration); the strings are GlobalAlloc'd, freed by the caller. */
EXPORT BOOL WinHttpGetDefaultProxyConfiguration(proxy_info_t *info)
{
    ENTER("WinHttpGetDefaultProxyConfiguration");
    if (!info) return fail(ERROR_INVALID_PARAMETER);
    const record_t *config = find_record("default");
    if (config && field(config, "error")) return fail((DWORD)field_int(config, "error", 5));
    info->dwAccessType = (DWORD)field_int(config, "access", WINHTTP_ACCESS_TYPE_NO_PROXY);
    const char *proxy = field(config, "proxy");
    const char *bypass = field(config, "bypass");
    info->lpszProxy = proxy ? utf8_to_utf16_alloc(proxy) : NULL;
    info->lpszProxyBypass = bypass ? utf8_to_utf16_alloc(bypass) : NULL;
    return 1;
}

/* Learn: WinHttpSetDefaultProxyConfiguration function. NAMED_PROXY needs lpszProxy. */
EXPORT BOOL WinHttpSetDefaultProxyConfiguration(proxy_info_t *info)
{
    ENTER("WinHttpSetDefaultProxyConfiguration");
    SCRIPTED_FAILURE("WinHttpSetDefaultProxyConfiguration", fail);
    if (!info) return fail(ERROR_INVALID_PARAMETER);
    if (info->dwAccessType == WINHTTP_ACCESS_TYPE_NAMED_PROXY && !info->lpszProxy) return fail(ERROR_INVALID_PARAMETER);
    char proxy[256], bypass[256];
    utf16_to_utf8(info->lpszProxy, proxy, sizeof proxy);
    utf16_to_utf8(info->lpszProxyBypass, bypass, sizeof bypass);
    record("WinHttpSetDefaultProxyConfiguration access=%u proxy=%s bypass=%s", info->dwAccessType, proxy, bypass);
    return 1;
}

/* Learn: WINHTTP_CURRENT_USER_IE_PROXY_CONFIG; WinHttpGetIEProxyConfigForCurrentUser function:
 * ERROR_FILE_NOT_FOUND when no Internet Explorer proxy settings can be found. */
typedef struct {
    BOOL fAutoDetect;
    WCHAR *lpszAutoConfigUrl;
    WCHAR *lpszProxy;
    WCHAR *lpszProxyBypass;
} ie_config_t;

EXPORT BOOL WinHttpGetIEProxyConfigForCurrentUser(ie_config_t *config)
{
    ENTER("WinHttpGetIEProxyConfigForCurrentUser");
    SCRIPTED_FAILURE("WinHttpGetIEProxyConfigForCurrentUser", fail);
    if (!config) return fail(ERROR_INVALID_PARAMETER);
    const record_t *ie = find_record("ie");
    if (!ie || !field_int(ie, "found", 1)) return fail(ERROR_FILE_NOT_FOUND);
    const char *url = field(ie, "auto_config_url"), *proxy = field(ie, "proxy"), *bypass = field(ie, "bypass");
    config->fAutoDetect = (BOOL)field_int(ie, "auto_detect", 0);
    config->lpszAutoConfigUrl = url ? utf8_to_utf16_alloc(url) : NULL;
    config->lpszProxy = proxy ? utf8_to_utf16_alloc(proxy) : NULL;
    config->lpszProxyBypass = bypass ? utf8_to_utf16_alloc(bypass) : NULL;
    return 1;
}

/* Learn: WinHttpCloseHandle function. Closing a handle that is not open is
 * ERROR_INVALID_HANDLE; the callback gets WINHTTP_CALLBACK_STATUS_HANDLE_CLOSING. Closing a
 * request from another thread cancels the synchronous call in progress on it. */
EXPORT BOOL WinHttpCloseHandle(HINTERNET handle)
{
    ENTER("WinHttpCloseHandle");
    handle_t *h = lookup(handle, "WinHttpCloseHandle", 1);
    if (!h) return fail(ERROR_INVALID_HANDLE);
    pthread_mutex_lock(&lock);
    int twice = h->closed;
    h->closed = 1;
    pthread_mutex_unlock(&lock);
    if (twice) {
        violation("WinHttpCloseHandle: handle %p closed twice", handle);
        return fail(ERROR_INVALID_HANDLE);
    }
    notify(h, CALLBACK_HANDLE_CLOSING, &handle, sizeof handle);
    return 1;
}

/* ---------------------------------------------------------------- test control */

/* Load a script (see the top of this file) and forget everything recorded so far. */
EXPORT int standin_load(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    pthread_mutex_lock(&lock);
    script_count = 0;
    memset(used, 0, sizeof used);
    wpad_calls = 0;
    violations[0] = 0;
    calls[0] = 0;
    network_fetches = 0;
    handle_count = 0;
    context_count = 0;
    pthread_mutex_unlock(&lock);
    char line[4096];
    while (fgets(line, sizeof line, f) && script_count < MAX_RECORDS) {
        line[strcspn(line, "\r\n")] = 0;
        if (!line[0] || line[0] == '#') continue;
        record_t *r = &script[script_count++];
        memset(r, 0, sizeof *r);
        int column = 0;
        for (char *part = strtok(line, "\t"); part; part = strtok(NULL, "\t"), column++) {
            char *eq = strchr(part, '=');
            if (column == 0) {
                snprintf(r->kind, sizeof r->kind, "%s", part);
            } else if (column == 1 && strcmp(r->kind, "host") == 0 && !eq) {
                snprintf(r->name, sizeof r->name, "%s", part);
            } else if (eq && r->nfields < MAX_FIELDS) {
                *eq = 0;
                snprintf(r->key[r->nfields], 32, "%s", part);
                snprintf(r->value[r->nfields], 256, "%s", eq + 1);
                r->nfields++;
            }
        }
    }
    fclose(f);
    return script_count;
}

/* The calls recorded so far (CALL lines), without ending anything. */
EXPORT int standin_calls(char *buffer, int size)
{
    pthread_mutex_lock(&lock);
    int written = snprintf(buffer, (size_t)size, "%s", calls);
    pthread_mutex_unlock(&lock);
    return written;
}

/* What the run left behind: violations, handles never closed, contexts and allocations never
 * freed, network fetches for intermediates, and the call record. Written to buffer. */
EXPORT int standin_finish(char *buffer, int size)
{
    char leaks[8192] = "";
    pthread_mutex_lock(&lock);
    for (int i = 0; i < handle_count; i++)
        if (!handles[i]->closed)
            snprintf(leaks + strlen(leaks), sizeof leaks - strlen(leaks), "VIOLATION handle %p (type %d) never closed\n",
                     (void *)handles[i], handles[i]->type);
    for (int i = 0; i < context_count; i++)
        if (!contexts[i].freed)
            snprintf(leaks + strlen(leaks), sizeof leaks - strlen(leaks), "VIOLATION %s context %p never freed\n",
                     contexts[i].is_chain ? "chain" : "certificate", contexts[i].pointer);
    for (int i = 0; i < alloc_count; i++)
        if (allocs[i]) {
            snprintf(leaks + strlen(leaks), sizeof leaks - strlen(leaks), "VIOLATION allocation %p never GlobalFree'd\n", allocs[i]);
            free(allocs[i]);
            allocs[i] = NULL;
        }
    int written = snprintf(buffer, (size_t)size, "%s%sfetches=%d\n%s", violations, leaks, network_fetches, calls);
    pthread_mutex_unlock(&lock);
    return written;
}

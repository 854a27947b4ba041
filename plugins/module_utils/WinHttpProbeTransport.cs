// Copyright: contributors to purview.device_proxy
// GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
//
// The real transport: synchronous WinHTTP requests, one session per probe, reporting raw facts
// only (status, WinHTTP error and stage, proxy headers, certificate chain). The controller
// classifies them.

using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using ansible_collections.purview.device_proxy.plugins.module_utils.WinHttpNative;
using ansible_collections.purview.device_proxy.plugins.module_utils.WinHttpProbeModel;
using ansible_collections.purview.device_proxy.plugins.module_utils.WinHttpServerChain;

namespace ansible_collections.purview.device_proxy.plugins.module_utils.WinHttpProbeTransport
{
    // The WinHTTP handles of one probe. Close may come from the scheduler's thread at any time,
    // even before a handle exists: a handle stored after Close is closed at once and never kept,
    // so a cancelled probe cannot go on to open a connection nobody can stop any more.
    public sealed class ProbeHandles
    {
        private readonly object sync = new object();
        private readonly Action<IntPtr> closeHandle;
        private bool closed;
        private bool requestCancelled;
        private IntPtr session;
        private IntPtr connection;
        private IntPtr request;

        public ProbeHandles(Action<IntPtr> closeHandle)
        {
            if (closeHandle == null) throw new ArgumentNullException("closeHandle");
            this.closeHandle = closeHandle;
        }

        public bool IsClosed
        {
            get { lock (sync) { return closed; } }
        }

        public IntPtr Session
        {
            get { lock (sync) { return session; } }
            set { Keep(ref session, value); }
        }

        public IntPtr Connection
        {
            get { lock (sync) { return connection; } }
            set { Keep(ref connection, value); }
        }

        public IntPtr Request
        {
            get { lock (sync) { return request; } }
            set { Keep(ref request, value, true); }
        }

        private void Keep(ref IntPtr slot, IntPtr value)
        {
            Keep(ref slot, value, false);
        }

        private void Keep(ref IntPtr slot, IntPtr value, bool isRequest)
        {
            bool closeNow;
            lock (sync)
            {
                closeNow = closed || (isRequest && requestCancelled);
                if (!closeNow) slot = value;
            }
            if (closeNow && value != IntPtr.Zero)
            {
                closeHandle(value);
            }
        }

        // Cancellation from another thread: close the request handle only, which makes WinHTTP
        // fail the synchronous call on it. The session and connection stay with the probe's own
        // thread, which may still be using them, and are closed by Close when it returns. A
        // request handle stored after this is closed at once.
        public void CancelRequest()
        {
            IntPtr open;
            lock (sync)
            {
                requestCancelled = true;
                open = request;
                request = IntPtr.Zero;
            }
            if (open != IntPtr.Zero) closeHandle(open);
        }

        public bool IsRequestCancelled
        {
            get { lock (sync) { return requestCancelled || closed; } }
        }

        // Idempotent; called by the probe's owner when it is done: every handle still open is
        // closed exactly once, children first.
        public void Close()
        {
            IntPtr[] open;
            lock (sync)
            {
                closed = true;
                open = new IntPtr[] { request, connection, session };
                request = IntPtr.Zero;
                connection = IntPtr.Zero;
                session = IntPtr.Zero;
            }
            foreach (IntPtr handle in open)
            {
                if (handle != IntPtr.Zero) closeHandle(handle);
            }
        }
    }

    // The real transport: synchronous WinHTTP, one session per probe so each method's proxy
    // configuration stays separate.
    public sealed class WinHttpTransport : IProbeTransport
    {
        public string UserAgent = "purview.device_proxy-connectivity-test/1";

        public WinHttpProbeResult Execute(ProbeRequest request, int timeoutMs, ProbeCancellation cancel)
        {
            WinHttpProbeResult result = new WinHttpProbeResult(request);
            result.Attempted = true;
            WinHttpProbeTarget target = WinHttpProbeTarget.Parse(request.Url);
            if (target.Error != 0)
            {
                result.WinHttpError = target.Error;
                result.ErrorStage = "url";
                return result;
            }
            SessionPlan plan = SessionPlan.For(request.Method, request.Proxy);
            ProbeHandles handles = new ProbeHandles(CloseHandle);
            IntPtr context = StageTracker.Watch(cancel, target.Secure);
            cancel.Register(handles.CancelRequest);
            try
            {
                Probe(plan, target, request.Url, timeoutMs, handles, result, cancel, context);
            }
            finally
            {
                handles.Close();
                StageTracker.Forget(context);
            }
            return result;
        }

        // The run's one discovery: a session of its own (no request is sent), the same attempts as a
        // method 2 probe. Cancellation closes nothing here (there is no request handle; the
        // scheduler abandons a discovery that overruns), the session is closed when it returns.
        public WpadDiscovery Discover(string url, int timeoutMs, ProbeCancellation cancel)
        {
            WpadDiscovery found = new WpadDiscovery();
            ProbeHandles handles = new ProbeHandles(CloseHandle);
            cancel.Stage = "wpad";
            try
            {
                handles.Session = NativeMethods.WinHttpOpen(UserAgent, SessionPlan.AccessNoProxy, null, null, 0);
                if (handles.Session == IntPtr.Zero)
                {
                    found.Error = Marshal.GetLastWin32Error();
                    return found;
                }
                NativeMethods.WinHttpSetTimeouts(handles.Session, timeoutMs, timeoutMs, timeoutMs, timeoutMs);
                WinHttpProbeResult scratch = new WinHttpProbeResult(new ProbeRequest(url, ProbeMethod.AutoDiscovery, null));
                Discover(handles, url, scratch);
                found.Error = scratch.AutoDetectError;
                found.Attempt = scratch.AutoDetectAttempt;
                found.Proxy = scratch.Proxy;
                return found;
            }
            finally
            {
                handles.Close();
            }
        }

        private void Probe(SessionPlan plan, WinHttpProbeTarget target, string url, int timeoutMs, ProbeHandles handles,
            WinHttpProbeResult result, ProbeCancellation cancel, IntPtr context)
        {
            if (!Open(plan, handles, result)) return;
            // Stages arrive through the callback with the context given to WinHttpSendRequest, so
            // the callback never has to call back into WinHTTP to find its probe.
            NativeMethods.WinHttpSetStatusCallback(handles.Session, StageTracker.Callback, NativeMethods.WINHTTP_CALLBACK_FLAG_STAGES, IntPtr.Zero);
            NativeMethods.WinHttpSetTimeouts(handles.Session, timeoutMs, timeoutMs, timeoutMs, timeoutMs);
            handles.Connection = NativeMethods.WinHttpConnect(handles.Session, target.Host, (ushort)target.Port, 0);
            if (handles.Connection == IntPtr.Zero)
            {
                Fail(result, "connect", handles);
                return;
            }
            handles.Request = NativeMethods.WinHttpOpenRequest(handles.Connection, "GET", target.PathAndQuery, null,
                IntPtr.Zero, IntPtr.Zero, target.Secure ? NativeMethods.WINHTTP_FLAG_SECURE : 0);
            if (handles.Request == IntPtr.Zero)
            {
                Fail(result, "open", handles);
                return;
            }
            // Report redirects as they are (a captive portal must not look like success) and never
            // send the machine's credentials: the sensor connects anonymously.
            int disable = NativeMethods.WINHTTP_DISABLE_REDIRECTS;
            NativeMethods.WinHttpSetOption(handles.Request, NativeMethods.WINHTTP_OPTION_DISABLE_FEATURE, ref disable, 4);
            int autologon = NativeMethods.WINHTTP_AUTOLOGON_SECURITY_LEVEL_HIGH;
            NativeMethods.WinHttpSetOption(handles.Request, NativeMethods.WINHTTP_OPTION_AUTOLOGON_POLICY, ref autologon, 4);
            if (plan.AutoDetect)
            {
                cancel.Stage = "wpad";
                Discover(handles, url, result);
                if (result.ErrorStage == "wpad")
                {
                    return;   // the discovered proxy could not be set: never go direct instead
                }
            }
            result.ProxyUsed = ProxyUsed(plan, result);
            cancel.Stage = "resolve";
            if (!NativeMethods.WinHttpSendRequest(handles.Request, IntPtr.Zero, 0, IntPtr.Zero, 0, 0, context))
            {
                Fail(result, "send", handles);
                return;
            }
            if (!NativeMethods.WinHttpReceiveResponse(handles.Request, IntPtr.Zero))
            {
                Fail(result, "receive", handles);
                return;
            }
            int status = 0;
            int size = 4;
            if (!NativeMethods.WinHttpQueryHeaders(handles.Request,
                NativeMethods.WINHTTP_QUERY_STATUS_CODE | NativeMethods.WINHTTP_QUERY_FLAG_NUMBER,
                IntPtr.Zero, ref status, ref size, IntPtr.Zero))
            {
                Fail(result, "status", handles);
                return;
            }
            result.StatusCode = status;
            // For https too: an answer made inside an intercepted tunnel carries the proxy's headers.
            result.ProxyHeaders = ProxyHeaders(handles.Request);
            if (target.Secure)
            {
                ServerCertificates.Read(handles.Request, result);
            }
        }

        // The proxy the request is sent through, "direct", or null when unknown: the named proxy;
        // the discovered one; for method 1 the WinHTTP default configuration (netsh winhttp), which
        // is what WINHTTP_ACCESS_TYPE_DEFAULT_PROXY uses (its bypass list goes to the controller).
        private static string ProxyUsed(SessionPlan plan, WinHttpProbeResult result)
        {
            if (plan.AccessType == SessionPlan.AccessNamedProxy) return plan.ProxyName;
            if (plan.AutoDetect) return result.AutoDetectError == 0 && !String.IsNullOrEmpty(result.Proxy) ? result.Proxy : "direct";
            if (plan.AccessType != SessionPlan.AccessDefaultProxy) return "direct";
            NativeMethods.WINHTTP_PROXY_INFO info = new NativeMethods.WINHTTP_PROXY_INFO();
            if (!NativeMethods.WinHttpGetDefaultProxyConfiguration(ref info))
            {
                return null;
            }
            string proxy = TakeString(info.lpszProxy);
            result.ProxyBypass = TakeString(info.lpszProxyBypass);
            return info.dwAccessType == NativeMethods.WINHTTP_ACCESS_TYPE_NAMED_PROXY && !String.IsNullOrEmpty(proxy) ? proxy : "direct";
        }

        // Strings WinHTTP returns are GlobalAlloc'd; the caller frees them.
        internal static string TakeString(IntPtr pointer)
        {
            if (pointer == IntPtr.Zero) return null;
            try
            {
                return Marshal.PtrToStringUni(pointer);
            }
            finally
            {
                NativeMethods.GlobalFree(pointer);
            }
        }

        // The answer's headers that show a proxy made or relayed it; the controller decides.
        private static Dictionary<string, object> ProxyHeaders(IntPtr request)
        {
            Dictionary<string, object> found = null;
            string[][] wanted = { new string[] { "via", "Via" }, new string[] { "x_squid_error", "X-Squid-Error" },
                new string[] { "proxy_status", "Proxy-Status" } };
            foreach (string[] header in wanted)
            {
                string value = CustomHeader(request, header[1]);
                if (value == null) continue;
                if (found == null)
                {
                    found = new Dictionary<string, object>();
                    foreach (string[] key in wanted) found[key[0]] = null;
                }
                found[header[0]] = value;
            }
            return found;
        }

        // WinHttpQueryHeaders with WINHTTP_QUERY_CUSTOM: the name in pwszName, lpBuffer output only.
        // First call without a buffer: ERROR_INSUFFICIENT_BUFFER and the size needed in BYTES; then
        // the read into a buffer of that many bytes. Null when the header is absent.
        private static string CustomHeader(IntPtr request, string name)
        {
            int size = 0;
            if (NativeMethods.WinHttpQueryHeaders(request, NativeMethods.WINHTTP_QUERY_CUSTOM, name, IntPtr.Zero, ref size, IntPtr.Zero))
            {
                return "";
            }
            if (Marshal.GetLastWin32Error() != NativeMethods.ERROR_INSUFFICIENT_BUFFER || size <= 0)
            {
                return null;
            }
            IntPtr buffer = Marshal.AllocHGlobal(size);
            try
            {
                if (!NativeMethods.WinHttpQueryHeaders(request, NativeMethods.WINHTTP_QUERY_CUSTOM, name, buffer, ref size, IntPtr.Zero))
                {
                    return null;
                }
                return Marshal.PtrToStringUni(buffer, size / 2);
            }
            finally
            {
                Marshal.FreeHGlobal(buffer);
            }
        }

        private bool Open(SessionPlan plan, ProbeHandles handles, WinHttpProbeResult result)
        {
            handles.Session = NativeMethods.WinHttpOpen(UserAgent, plan.AccessType, plan.ProxyName, null, 0);
            result.Access = plan.AutoDetect ? "auto-detect" : SessionPlan.AccessName(plan.AccessType);
            if (handles.Session == IntPtr.Zero)
            {
                Fail(result, "open", handles);
                return false;
            }
            return true;
        }

        // WPAD discovery for this URL. Up to three attempts, as WinHTTP documents: through the
        // auto-proxy service; in-process when the service failed (12178); with automatic logon when
        // the script's server refused the anonymous request (12015). The attempt that found a
        // configuration is reported; when none did, the error is, and the controller fails method 2
        // whatever the request (then sent direct) answered.
        private static void Discover(ProbeHandles handles, string url, WinHttpProbeResult result)
        {
            int flags = NativeMethods.WINHTTP_AUTOPROXY_AUTO_DETECT;
            bool autoLogon = false;
            string attempt = "service";
            for (int tries = 0; tries < 3; tries++)
            {
                int error = TryDiscover(handles, url, result, flags, autoLogon);
                if (error == 0)
                {
                    result.AutoDetectAttempt = attempt;
                    result.AutoDetectError = 0;
                    return;
                }
                if (result.ErrorStage == "wpad") return;
                result.AutoDetectError = error;
                if (!DiscoveryErrors.Retry(error, ref flags, ref autoLogon, out attempt))
                {
                    return;
                }
            }
        }

        private static int TryDiscover(ProbeHandles handles, string url, WinHttpProbeResult result, int flags, bool autoLogon)
        {
            NativeMethods.WINHTTP_AUTOPROXY_OPTIONS options = new NativeMethods.WINHTTP_AUTOPROXY_OPTIONS();
            options.dwFlags = flags;
            options.dwAutoDetectFlags = NativeMethods.WINHTTP_AUTO_DETECT_TYPE_DHCP | NativeMethods.WINHTTP_AUTO_DETECT_TYPE_DNS_A;
            options.fAutoLogonIfChallenged = autoLogon;
            NativeMethods.WINHTTP_PROXY_INFO info;
            if (!NativeMethods.WinHttpGetProxyForUrl(handles.Session, url, ref options, out info))
            {
                return Marshal.GetLastWin32Error();
            }
            try
            {
                if (info.lpszProxy != IntPtr.Zero)
                {
                    result.Proxy = Marshal.PtrToStringUni(info.lpszProxy);
                }
                IntPtr request = handles.Request;
                if (request != IntPtr.Zero && !NativeMethods.WinHttpSetOption(request, NativeMethods.WINHTTP_OPTION_PROXY, ref info,
                    Marshal.SizeOf(typeof(NativeMethods.WINHTTP_PROXY_INFO))))
                {
                    // Discovery named a proxy the request cannot use: the probe fails here rather
                    // than sending the request direct while reporting the proxy.
                    Fail(result, "wpad", handles);
                    return result.WinHttpError;
                }
            }
            finally
            {
                if (info.lpszProxy != IntPtr.Zero) NativeMethods.GlobalFree(info.lpszProxy);
                if (info.lpszProxyBypass != IntPtr.Zero) NativeMethods.GlobalFree(info.lpszProxyBypass);
            }
            return 0;
        }

        internal static void Fail(WinHttpProbeResult result, string stage, ProbeHandles handles)
        {
            int error = Marshal.GetLastWin32Error();
            if (handles.IsRequestCancelled && (error == 0 || error == WinHttpErrors.InvalidHandle))
            {
                // The scheduler closed the request handle (time limit or deadline) before this call.
                error = WinHttpErrors.OperationCancelled;
            }
            result.WinHttpError = error;
            result.ErrorStage = stage;
        }

        private static void CloseHandle(IntPtr handle)
        {
            NativeMethods.WinHttpCloseHandle(handle);
        }
    }

    public static class DiscoveryErrors
    {
        public const int LoginFailure = 12015;
        public const int ServiceError = 12178;

        // Whether a failed discovery is worth one more attempt, and how: in-process once when the
        // auto-proxy service failed, with automatic logon once when the script's server refused
        // the anonymous request. Every other error is final.
        public static bool Retry(int error, ref int flags, ref bool autoLogon, out string attempt)
        {
            attempt = null;
            if (error == ServiceError && (flags & NativeMethods.WINHTTP_AUTOPROXY_RUN_INPROCESS) == 0)
            {
                flags |= NativeMethods.WINHTTP_AUTOPROXY_RUN_INPROCESS;
                attempt = "in-process";
                return true;
            }
            if (error == LoginFailure && !autoLogon)
            {
                autoLogon = true;
                attempt = "autologon";
                return true;
            }
            return false;
        }
    }

    // Follows a probe through WinHTTP's status notifications (they arrive in synchronous mode too)
    // so an abandoned probe can say where it was stuck. The probe is found from the callback's
    // dwContext (the value given to WinHttpSendRequest), never by calling WinHTTP from inside the
    // callback, which WinHTTP's callback rules forbid.
    internal static class StageTracker
    {
        private static readonly object sync = new object();
        private static readonly Dictionary<long, KeyValuePair<ProbeCancellation, bool>> watched =
            new Dictionary<long, KeyValuePair<ProbeCancellation, bool>>();
        private static long next;
        // Kept in a static field so the delegate outlives every native call that may use it.
        public static readonly NativeMethods.StatusCallback Callback = OnStatus;

        public static IntPtr Watch(ProbeCancellation cancel, bool secure)
        {
            lock (sync)
            {
                long key = ++next;
                watched[key] = new KeyValuePair<ProbeCancellation, bool>(cancel, secure);
                return new IntPtr(key);
            }
        }

        public static void Forget(IntPtr context)
        {
            lock (sync) { watched.Remove(context.ToInt64()); }
        }

        private static void OnStatus(IntPtr handle, IntPtr context, int status, IntPtr info, int length)
        {
            KeyValuePair<ProbeCancellation, bool> entry;
            lock (sync)
            {
                if (!watched.TryGetValue(context.ToInt64(), out entry)) return;
            }
            string stage = StageOf(status, entry.Value);
            if (stage != null) entry.Key.Stage = stage;
        }

        public static string StageOf(int status, bool secure)
        {
            switch (status)
            {
                case NativeMethods.WINHTTP_CALLBACK_STATUS_RESOLVING_NAME: return "resolve";
                case NativeMethods.WINHTTP_CALLBACK_STATUS_CONNECTING_TO_SERVER: return "connect";
                case NativeMethods.WINHTTP_CALLBACK_STATUS_CONNECTED_TO_SERVER: return secure ? "tls" : "send";
                case NativeMethods.WINHTTP_CALLBACK_STATUS_SENDING_REQUEST: return "send";
                case NativeMethods.WINHTTP_CALLBACK_STATUS_RECEIVING_RESPONSE: return "receive";
                default: return null;
            }
        }
    }
}

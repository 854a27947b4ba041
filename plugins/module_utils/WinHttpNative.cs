// Copyright: contributors to purview.device_proxy
// GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
//
// The native declarations of the WinHTTP stack, in one place: every P/Invoke into winhttp.dll,
// crypt32.dll and kernel32.dll, with the constants and structures they take, shared by the
// device probe's transport and the default proxy configuration (WinHttpProxyConfig).
// Each declaration follows the function's page on Microsoft Learn.

using System;
using System.Runtime.InteropServices;

namespace ansible_collections.purview.device_proxy.plugins.module_utils.WinHttpNative
{
    internal static class NativeMethods
    {
        public const int WINHTTP_QUERY_CUSTOM = 65535;
        public const int WINHTTP_OPTION_SERVER_CERT_CONTEXT = 78;
        public const int WINHTTP_AUTOPROXY_RUN_INPROCESS = 0x00010000;
        public const int WINHTTP_CALLBACK_STATUS_RESOLVING_NAME = 0x00000001;
        public const int WINHTTP_CALLBACK_STATUS_CONNECTING_TO_SERVER = 0x00000004;
        public const int WINHTTP_CALLBACK_STATUS_CONNECTED_TO_SERVER = 0x00000008;
        public const int WINHTTP_CALLBACK_STATUS_SENDING_REQUEST = 0x00000010;
        public const int WINHTTP_CALLBACK_STATUS_RECEIVING_RESPONSE = 0x00000040;
        public const int WINHTTP_CALLBACK_STATUS_HANDLE_CLOSING = 0x00000800;
        // RESOLVE_NAME, CONNECT_TO_SERVER, SEND_REQUEST, RECEIVE_RESPONSE, HANDLES.
        public const int WINHTTP_CALLBACK_FLAG_STAGES = 0x000000FF | 0x00000C00;

        [UnmanagedFunctionPointer(CallingConvention.StdCall)]
        public delegate void StatusCallback(IntPtr handle, IntPtr context, int status, IntPtr info, int length);

        [DllImport("winhttp.dll", SetLastError = true)]
        public static extern IntPtr WinHttpSetStatusCallback(IntPtr handle, StatusCallback callback, int flags, IntPtr reserved);

        [DllImport("winhttp.dll", SetLastError = true)]
        [return: MarshalAs(UnmanagedType.Bool)]
        public static extern bool WinHttpQueryOption(IntPtr handle, int option, ref IntPtr buffer, ref int bufferLength);

        // WINHTTP_QUERY_CUSTOM: the header's name in pwszName, lpBuffer output only, lengths in bytes.
        [DllImport("winhttp.dll", SetLastError = true, CharSet = CharSet.Unicode, EntryPoint = "WinHttpQueryHeaders")]
        [return: MarshalAs(UnmanagedType.Bool)]
        public static extern bool WinHttpQueryHeaders(IntPtr request, int infoLevel, string name, IntPtr buffer,
            ref int bufferLength, IntPtr index);

        [DllImport("crypt32.dll", SetLastError = true)]
        [return: MarshalAs(UnmanagedType.Bool)]
        public static extern bool CertFreeCertificateContext(IntPtr context);

        [DllImport("crypt32.dll", SetLastError = true)]
        [return: MarshalAs(UnmanagedType.Bool)]
        public static extern bool CertGetCertificateChain(IntPtr chainEngine, IntPtr certificate, IntPtr time, IntPtr additionalStore,
            ref CERT_CHAIN_PARA chainPara, int flags, IntPtr reserved, out IntPtr chainContext);

        [DllImport("crypt32.dll")]
        public static extern void CertFreeCertificateChain(IntPtr chainContext);

        public const int ERROR_INSUFFICIENT_BUFFER = 122;
        public const int WINHTTP_OPTION_SERVER_CERT_CHAIN_CONTEXT = 147;
        public const uint WINHTTP_ACCESS_TYPE_NAMED_PROXY = 3;
        // The machine's chain engine (the service runs as SYSTEM).
        public static readonly IntPtr HCCE_LOCAL_MACHINE = new IntPtr(1);
        // No network retrieval of intermediates: building a chain never outlasts the deadline.
        public const int CERT_CHAIN_CACHE_ONLY_URL_RETRIEVAL = 0x00000004;

        [StructLayout(LayoutKind.Sequential)]
        public struct CERT_CONTEXT
        {
            public int dwCertEncodingType;
            public IntPtr pbCertEncoded;
            public int cbCertEncoded;
            public IntPtr pCertInfo;
            public IntPtr hCertStore;
        }

        [StructLayout(LayoutKind.Sequential)]
        public struct CERT_TRUST_STATUS
        {
            public int dwErrorStatus;
            public int dwInfoStatus;
        }

        [StructLayout(LayoutKind.Sequential)]
        public struct CERT_CHAIN_CONTEXT
        {
            public int cbSize;
            public CERT_TRUST_STATUS TrustStatus;
            public int cChain;
            public IntPtr rgpChain;
            public int cLowerQualityChainContext;
            public IntPtr rgpLowerQualityChainContext;
            [MarshalAs(UnmanagedType.Bool)]
            public bool fHasRevocationFreshnessTime;
            public int dwRevocationFreshnessTime;
            public int dwCreateFlags;
            public Guid ChainId;
        }

        [StructLayout(LayoutKind.Sequential)]
        public struct CERT_SIMPLE_CHAIN
        {
            public int cbSize;
            public CERT_TRUST_STATUS TrustStatus;
            public int cElement;
            public IntPtr rgpElement;
            public IntPtr pTrustListInfo;
            [MarshalAs(UnmanagedType.Bool)]
            public bool fHasRevocationFreshnessTime;
            public int dwRevocationFreshnessTime;
        }

        [StructLayout(LayoutKind.Sequential)]
        public struct CERT_CHAIN_ELEMENT
        {
            public int cbSize;
            public IntPtr pCertContext;
            public CERT_TRUST_STATUS TrustStatus;
            public IntPtr pRevocationInfo;
            public IntPtr pIssuanceUsage;
            public IntPtr pApplicationUsage;
            public IntPtr pwszExtendedErrorInfo;
        }

        // wincrypt.h names it CERT_ENHKEY_USAGE too, as a typedef of this struct.
        [StructLayout(LayoutKind.Sequential)]
        public struct CTL_USAGE
        {
            public int cUsageIdentifier;
            public IntPtr rgpszUsageIdentifier;
        }

        [StructLayout(LayoutKind.Sequential)]
        public struct CERT_USAGE_MATCH
        {
            public int dwType;
            public CTL_USAGE Usage;
        }

        // The whole structure (cbSize says which fields are present).
        [StructLayout(LayoutKind.Sequential)]
        public struct CERT_CHAIN_PARA
        {
            public int cbSize;
            public CERT_USAGE_MATCH RequestedUsage;
            public CERT_USAGE_MATCH RequestedIssuancePolicy;
            public int dwUrlRetrievalTimeout;
            [MarshalAs(UnmanagedType.Bool)]
            public bool fCheckRevocationFreshnessTime;
            public int dwRevocationFreshnessTime;
            public IntPtr pftCacheResync;
            public IntPtr pStrongSignPara;
            public int dwStrongSignFlags;
        }

        public const int WINHTTP_FLAG_SECURE = 0x00800000;
        public const int WINHTTP_QUERY_STATUS_CODE = 19;
        public const int WINHTTP_QUERY_FLAG_NUMBER = 0x20000000;
        public const int WINHTTP_OPTION_PROXY = 38;
        public const int WINHTTP_OPTION_DISABLE_FEATURE = 63;
        public const int WINHTTP_OPTION_AUTOLOGON_POLICY = 77;
        public const int WINHTTP_DISABLE_REDIRECTS = 0x00000002;
        public const int WINHTTP_AUTOLOGON_SECURITY_LEVEL_HIGH = 2;
        public const int WINHTTP_AUTOPROXY_AUTO_DETECT = 0x00000001;
        public const int WINHTTP_AUTO_DETECT_TYPE_DHCP = 0x00000001;
        public const int WINHTTP_AUTO_DETECT_TYPE_DNS_A = 0x00000002;

        [StructLayout(LayoutKind.Sequential, CharSet = CharSet.Unicode)]
        public struct WINHTTP_AUTOPROXY_OPTIONS
        {
            public int dwFlags;
            public int dwAutoDetectFlags;
            public string lpszAutoConfigUrl;
            public IntPtr lpvReserved;
            public int dwReserved;
            [MarshalAs(UnmanagedType.Bool)]
            public bool fAutoLogonIfChallenged;
        }

        [StructLayout(LayoutKind.Sequential)]
        public struct WINHTTP_PROXY_INFO
        {
            public uint dwAccessType;
            public IntPtr lpszProxy;
            public IntPtr lpszProxyBypass;
        }

        [DllImport("winhttp.dll", SetLastError = true, CharSet = CharSet.Unicode)]
        public static extern IntPtr WinHttpOpen(string userAgent, int accessType, string proxyName, string proxyBypass, int flags);

        [DllImport("winhttp.dll", SetLastError = true)]
        [return: MarshalAs(UnmanagedType.Bool)]
        public static extern bool WinHttpSetTimeouts(IntPtr handle, int resolveTimeout, int connectTimeout, int sendTimeout, int receiveTimeout);

        [DllImport("winhttp.dll", SetLastError = true, CharSet = CharSet.Unicode)]
        public static extern IntPtr WinHttpConnect(IntPtr session, string serverName, ushort serverPort, int reserved);

        [DllImport("winhttp.dll", SetLastError = true, CharSet = CharSet.Unicode)]
        public static extern IntPtr WinHttpOpenRequest(IntPtr connection, string verb, string objectName, string version,
            IntPtr referrer, IntPtr acceptTypes, int flags);

        [DllImport("winhttp.dll", SetLastError = true)]
        [return: MarshalAs(UnmanagedType.Bool)]
        public static extern bool WinHttpSetOption(IntPtr handle, int option, ref int buffer, int bufferLength);

        [DllImport("winhttp.dll", SetLastError = true)]
        [return: MarshalAs(UnmanagedType.Bool)]
        public static extern bool WinHttpSetOption(IntPtr handle, int option, ref WINHTTP_PROXY_INFO buffer, int bufferLength);

        [DllImport("winhttp.dll", SetLastError = true, CharSet = CharSet.Unicode)]
        [return: MarshalAs(UnmanagedType.Bool)]
        public static extern bool WinHttpGetProxyForUrl(IntPtr session, string url, ref WINHTTP_AUTOPROXY_OPTIONS options,
            out WINHTTP_PROXY_INFO proxyInfo);

        [DllImport("winhttp.dll", SetLastError = true)]
        [return: MarshalAs(UnmanagedType.Bool)]
        public static extern bool WinHttpSendRequest(IntPtr request, IntPtr headers, int headersLength, IntPtr optional,
            int optionalLength, int totalLength, IntPtr context);

        [DllImport("winhttp.dll", SetLastError = true)]
        [return: MarshalAs(UnmanagedType.Bool)]
        public static extern bool WinHttpReceiveResponse(IntPtr request, IntPtr reserved);

        [DllImport("winhttp.dll", SetLastError = true)]
        [return: MarshalAs(UnmanagedType.Bool)]
        public static extern bool WinHttpQueryHeaders(IntPtr request, int infoLevel, IntPtr name, ref int buffer,
            ref int bufferLength, IntPtr index);

        [DllImport("winhttp.dll", SetLastError = true)]
        [return: MarshalAs(UnmanagedType.Bool)]
        public static extern bool WinHttpCloseHandle(IntPtr handle);

        [StructLayout(LayoutKind.Sequential)]
        public struct WINHTTP_CURRENT_USER_IE_PROXY_CONFIG
        {
            [MarshalAs(UnmanagedType.Bool)]
            public bool fAutoDetect;
            public IntPtr lpszAutoConfigUrl;
            public IntPtr lpszProxy;
            public IntPtr lpszProxyBypass;
        }

        [DllImport("winhttp.dll", SetLastError = true)]
        [return: MarshalAs(UnmanagedType.Bool)]
        public static extern bool WinHttpGetDefaultProxyConfiguration(ref WINHTTP_PROXY_INFO pProxyInfo);

        [DllImport("winhttp.dll", SetLastError = true)]
        [return: MarshalAs(UnmanagedType.Bool)]
        public static extern bool WinHttpSetDefaultProxyConfiguration(ref WINHTTP_PROXY_INFO pProxyInfo);

        [DllImport("winhttp.dll", SetLastError = true)]
        [return: MarshalAs(UnmanagedType.Bool)]
        public static extern bool WinHttpGetIEProxyConfigForCurrentUser(ref WINHTTP_CURRENT_USER_IE_PROXY_CONFIG pProxyConfig);

        // Strings WinHTTP returns are allocated with GlobalAlloc and freed by the caller.
        [DllImport("kernel32.dll")]
        public static extern IntPtr GlobalFree(IntPtr memory);
    }
}

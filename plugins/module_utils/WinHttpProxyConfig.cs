// Copyright: contributors to purview.device_proxy
// GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
//
// The WinHTTP default proxy and the connection user's Internet Options proxy, through the
// documented API (winhttp.dll). Plain .NET and C# 5 only: it is compiled by Add-Type on
// Windows PowerShell 5.1. What to set is decided on the controller; this only carries it out.
// Internal to purview.device_proxy: not a public API, and it may change without notice.

using System;
using System.ComponentModel;
using System.Runtime.InteropServices;
using ansible_collections.purview.device_proxy.plugins.module_utils.WinHttpNative;

namespace ansible_collections.purview.device_proxy.plugins.module_utils.WinHttpProxyConfig
{
    /// <summary>WINHTTP_ACCESS_TYPE_* values accepted by WinHttpSetDefaultProxyConfiguration.</summary>
    public enum AccessType : uint
    {
        DefaultProxy = 0,
        NoProxy = 1,
        NamedProxy = 3,
    }

    /// <summary>The WinHTTP default proxy: access type, proxy and bypass list.</summary>
    public class DefaultProxySetting
    {
        public AccessType AccessType;
        public string Proxy;
        public string ProxyBypass;

        public DefaultProxySetting(AccessType accessType, string proxy, string proxyBypass)
        {
            AccessType = accessType;
            Proxy = proxy;
            ProxyBypass = proxyBypass;
        }
    }

    /// <summary>WinINet (Internet Options) proxy of the user the module runs as.</summary>
    public class IeProxySetting
    {
        // False when WinHTTP finds no Internet Options settings at all for the user (as opposed
        // to settings without a manual proxy); the controller decides what that means.
        public bool Found = true;
        public bool AutoDetect;
        public string AutoConfigUrl;
        public string Proxy;
        public string ProxyBypass;
    }

    /// <summary>The native calls, behind an interface so the rest can run without winhttp.dll.</summary>
    public interface IWinHttpApi
    {
        DefaultProxySetting GetDefaultProxy();
        void SetDefaultProxy(DefaultProxySetting setting);
        IeProxySetting GetIeProxyForCurrentUser();
    }

    /// <summary>
    /// What WinHttpGetDefaultProxyConfiguration reports, in the form the controller compares:
    /// the access type by name (no_proxy, default_proxy, named_proxy, or unknown:N), the strings
    /// never null. Error holds why the API could not be read (then the rest is empty).
    /// </summary>
    public class ProxyReadBack
    {
        public string AccessType = "";
        public string Proxy = "";
        public string ProxyBypass = "";
        public string Error;
    }

    public class InvalidProxySettingException : ArgumentException
    {
        public InvalidProxySettingException(string message) : base(message) { }
    }

    public static class DefaultProxy
    {
        /// <summary>
        /// Check that a setting is self-consistent before it reaches the API, which accepts
        /// inconsistent input without an error: a named proxy needs a proxy string, no proxy
        /// takes none.
        /// </summary>
        public static void Validate(DefaultProxySetting setting)
        {
            if (setting == null)
            {
                throw new InvalidProxySettingException("setting: a default proxy setting is required");
            }
            bool hasProxy = !String.IsNullOrEmpty(setting.Proxy);
            bool hasBypass = !String.IsNullOrEmpty(setting.ProxyBypass);
            switch (setting.AccessType)
            {
                case AccessType.NamedProxy:
                    if (!hasProxy)
                    {
                        throw new InvalidProxySettingException("proxy: a named proxy needs a proxy string");
                    }
                    break;
                case AccessType.NoProxy:
                case AccessType.DefaultProxy:
                    if (hasProxy || hasBypass)
                    {
                        throw new InvalidProxySettingException("proxy: access type " + setting.AccessType + " takes no proxy or bypass list");
                    }
                    break;
                default:
                    throw new InvalidProxySettingException("access_type: unknown access type " + (uint)setting.AccessType);
            }
        }

        /// <summary>
        /// Read the default proxy back through the API. Never throws: a failed read is reported in
        /// Error, so the caller can still report the registry bytes and let the controller decide.
        /// </summary>
        public static ProxyReadBack ReadBack(IWinHttpApi api)
        {
            ProxyReadBack result = new ProxyReadBack();
            try
            {
                DefaultProxySetting setting = api.GetDefaultProxy();
                if (setting == null)
                {
                    result.Error = "the API returned no setting";
                    return result;
                }
                result.AccessType = AccessTypeName(setting.AccessType);
                result.Proxy = setting.Proxy ?? "";
                result.ProxyBypass = setting.ProxyBypass ?? "";
            }
            catch (Exception error)
            {
                result.Error = error.GetType().Name + ": " + error.Message;
            }
            return result;
        }

        public static string AccessTypeName(AccessType accessType)
        {
            switch (accessType)
            {
                case AccessType.NoProxy:
                    return "no_proxy";
                case AccessType.DefaultProxy:
                    return "default_proxy";
                case AccessType.NamedProxy:
                    return "named_proxy";
                default:
                    return "unknown:" + (uint)accessType;
            }
        }

        /// <summary>Set the default proxy through the API after checking it.</summary>
        public static void Apply(IWinHttpApi api, DefaultProxySetting setting)
        {
            Validate(setting);
            api.SetDefaultProxy(setting);
        }
    }

    /// <summary>winhttp.dll, the real thing (declarations in WinHttpNative).</summary>
    public class NativeWinHttpApi : IWinHttpApi
    {
        // WinHttpGetIEProxyConfigForCurrentUser's documented "no Internet Explorer proxy settings
        // can be found" error (for example an account whose profile never had any).
        private const int ERROR_FILE_NOT_FOUND = 2;

        // Strings returned by WinHTTP are allocated with GlobalAlloc and freed by the caller.
        private static string TakeString(IntPtr pointer)
        {
            if (pointer == IntPtr.Zero)
            {
                return null;
            }
            try
            {
                return Marshal.PtrToStringUni(pointer);
            }
            finally
            {
                NativeMethods.GlobalFree(pointer);
            }
        }

        public DefaultProxySetting GetDefaultProxy()
        {
            NativeMethods.WINHTTP_PROXY_INFO info = new NativeMethods.WINHTTP_PROXY_INFO();
            if (!NativeMethods.WinHttpGetDefaultProxyConfiguration(ref info))
            {
                throw new Win32Exception(Marshal.GetLastWin32Error(), "WinHttpGetDefaultProxyConfiguration failed");
            }
            string proxy = TakeString(info.lpszProxy);
            string bypass = TakeString(info.lpszProxyBypass);
            return new DefaultProxySetting((AccessType)info.dwAccessType, proxy, bypass);
        }

        public void SetDefaultProxy(DefaultProxySetting setting)
        {
            NativeMethods.WINHTTP_PROXY_INFO info = new NativeMethods.WINHTTP_PROXY_INFO();
            info.dwAccessType = (uint)setting.AccessType;
            info.lpszProxy = String.IsNullOrEmpty(setting.Proxy) ? IntPtr.Zero : Marshal.StringToHGlobalUni(setting.Proxy);
            info.lpszProxyBypass = String.IsNullOrEmpty(setting.ProxyBypass) ? IntPtr.Zero : Marshal.StringToHGlobalUni(setting.ProxyBypass);
            try
            {
                if (!NativeMethods.WinHttpSetDefaultProxyConfiguration(ref info))
                {
                    throw new Win32Exception(Marshal.GetLastWin32Error(), "WinHttpSetDefaultProxyConfiguration failed");
                }
            }
            finally
            {
                if (info.lpszProxy != IntPtr.Zero)
                {
                    Marshal.FreeHGlobal(info.lpszProxy);
                }
                if (info.lpszProxyBypass != IntPtr.Zero)
                {
                    Marshal.FreeHGlobal(info.lpszProxyBypass);
                }
            }
        }

        public IeProxySetting GetIeProxyForCurrentUser()
        {
            NativeMethods.WINHTTP_CURRENT_USER_IE_PROXY_CONFIG config = new NativeMethods.WINHTTP_CURRENT_USER_IE_PROXY_CONFIG();
            if (!NativeMethods.WinHttpGetIEProxyConfigForCurrentUser(ref config))
            {
                int error = Marshal.GetLastWin32Error();
                if (error == ERROR_FILE_NOT_FOUND)
                {
                    IeProxySetting none = new IeProxySetting();
                    none.Found = false;
                    return none;
                }
                throw new Win32Exception(error, "WinHttpGetIEProxyConfigForCurrentUser failed");
            }
            IeProxySetting setting = new IeProxySetting();
            setting.AutoDetect = config.fAutoDetect;
            setting.AutoConfigUrl = TakeString(config.lpszAutoConfigUrl);
            setting.Proxy = TakeString(config.lpszProxy);
            setting.ProxyBypass = TakeString(config.lpszProxyBypass);
            return setting;
        }
    }
}

// Copyright: contributors to purview.device_proxy
// GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
//
// The device probe's data: the client analyzer's methods, one request and its raw result
// (the shape the module returns), WinHTTP's error numbers, how each method opens WinHTTP, the
// parts of a URL WinHTTP needs, cancellation, and the transport interface the scheduler drives.
// Plain .NET, C# 5 only (Windows PowerShell's Add-Type).

using System;
using System.Collections.Generic;

namespace ansible_collections.purview.device_proxy.plugins.module_utils.WinHttpProbeModel
{
    public enum ProbeMethod
    {
        DefaultProxy = 1,
        AutoDiscovery = 2,
        ProxyDisabled = 3,
        NamedProxy = 4,
        CommandLineProxy = 5,
    }

    public static class ProbeMethods
    {
        // The names the controller uses, in the analyzer's order.
        private static readonly string[] Names = { "default", "wpad", "disabled", "named", "command_line" };
        // The methods that need a proxy of their own (analyzer_model.Method.uses_proxy): without one
        // they have nothing to test. Both arrays are checked against the Python model by
        // tools/gates/choice_lists.py (its --write rewrites them).
        private static readonly string[] ProxyMethodNames = { "named", "command_line" };

        public static string Name(ProbeMethod method)
        {
            return Names[(int)method - 1];
        }

        public static ProbeMethod Parse(string name)
        {
            for (int i = 0; i < Names.Length; i++)
            {
                if (String.Equals(Names[i], name, StringComparison.OrdinalIgnoreCase))
                {
                    return (ProbeMethod)(i + 1);
                }
            }
            throw new ArgumentException(String.Format("method '{0}' is not one of {1}", name, String.Join(", ", Names)));
        }

        public static bool NeedsProxy(ProbeMethod method)
        {
            return Array.IndexOf(ProxyMethodNames, Name(method)) >= 0;
        }
    }

    // The probe's words on the wire, failure_kinds' constants in the Python model: why a probe was
    // not attempted (skip_reason) and the failures established for a whole method (established).
    // Checked against failure_kinds.PROBE_SKIP_REASONS and ESTABLISHED by tools/gates/choice_lists.py.
    public static class ProbeReasons
    {
        private static readonly string[] SkipReasonNames = { "not_configured", "deadline" };
        private static readonly string[] EstablishedNames = { "proxy_unreachable", "wpad_failed" };

        // The method needs a proxy and none is set or given.
        public static string NotConfigured { get { return SkipReasonNames[0]; } }
        // The run's deadline passed before the probe could start.
        public static string Deadline { get { return SkipReasonNames[1]; } }
        public static string ProxyUnreachable { get { return EstablishedNames[0]; } }
        public static string WpadFailed { get { return EstablishedNames[1]; } }
    }

    public sealed class ProbeRequest
    {
        public string Url;
        public ProbeMethod Method;
        // The proxy for the named and command-line methods; null means "not configured".
        public string Proxy;

        public ProbeRequest(string url, ProbeMethod method, string proxy)
        {
            Url = url;
            Method = method;
            Proxy = proxy;
        }
    }

    public sealed class WinHttpProbeResult
    {
        public string Url;
        public ProbeMethod Method;
        public bool Attempted;
        public string SkipReason;      // a ProbeReasons skip reason when not attempted
        public int StatusCode;         // 0 when no HTTP answer was read
        public int WinHttpError;       // 0 when none
        public string ErrorStage;      // url, open, autodetect, connect, send, receive, status, internal
        public string ErrorMessage;    // only for exceptions that are not WinHTTP errors
        public int AutoDetectError;    // WinHttpGetProxyForUrl's error for the auto-discovery method
        public string Proxy;           // the proxy asked for or discovered
        // The proxy the request was sent through ("direct" when none; null when not known or not
        // sent), and for method 1 the WinHTTP default configuration's bypass list.
        public string ProxyUsed;
        public string ProxyBypass;
        public string Access;          // how WinHTTP was configured: automatic, default, no-proxy, named, auto-detect
        public long ElapsedMs;
        public bool TimedOut;
        // Which WPAD attempt found a configuration: service, in-process or autologon (null: none).
        public string AutoDetectAttempt;
        // The server certificate chain, leaf first (null: no server certificate was seen).
        public List<Dictionary<string, object>> ServerChain;
        // The chain's CERT_TRUST_STATUS.dwErrorStatus (0: no error) and where the chain came from:
        // "winhttp" (the one WinHTTP validated) or "built" (cache-only, older Windows).
        public int? ChainStatus;
        public string ChainSource;
        // Via, X-Squid-Error and Proxy-Status of the answer (null: none of them present).
        public Dictionary<string, object> ProxyHeaders;
        // A shared failure this result was reported for without its own request
        // (proxy_unreachable, wpad_failed), and on how many probes it was established.
        public string Established;
        public int EstablishedOn;

        public WinHttpProbeResult(ProbeRequest request)
        {
            Url = request.Url;
            Method = request.Method;
            Proxy = request.Proxy;
        }

        public static WinHttpProbeResult Skipped(ProbeRequest request, string reason)
        {
            WinHttpProbeResult result = new WinHttpProbeResult(request);
            result.Attempted = false;
            result.SkipReason = reason;
            return result;
        }

        public static WinHttpProbeResult Failed(ProbeRequest request, int error, string stage)
        {
            WinHttpProbeResult result = new WinHttpProbeResult(request);
            result.Attempted = true;
            result.WinHttpError = error;
            result.ErrorStage = stage;
            return result;
        }

        // The shape the module returns (documented in device_connectivity_probe.py RETURN raw.probes).
        public Dictionary<string, object> ToDictionary()
        {
            Dictionary<string, object> data = new Dictionary<string, object>();
            data["url"] = Url;
            data["method"] = ProbeMethods.Name(Method);
            data["attempted"] = Attempted;
            data["skip_reason"] = SkipReason;
            data["status_code"] = StatusCode == 0 ? null : (object)StatusCode;
            data["winhttp_error"] = WinHttpError == 0 ? null : (object)WinHttpError;
            data["error_stage"] = ErrorStage;
            data["error_message"] = ErrorMessage;
            data["autodetect_error"] = AutoDetectError == 0 ? null : (object)AutoDetectError;
            data["proxy"] = Proxy;
            data["access"] = Access;
            data["elapsed_ms"] = ElapsedMs;
            data["timed_out"] = TimedOut;
            data["autodetect_attempt"] = AutoDetectAttempt;
            data["server_chain"] = ServerChain;
            data["chain_status"] = ChainStatus.HasValue ? (object)ChainStatus.Value : null;
            data["chain_source"] = ChainSource;
            data["proxy_used"] = ProxyUsed;
            data["proxy_bypass"] = ProxyBypass;
            data["proxy_headers"] = ProxyHeaders;
            data["established"] = Established;
            data["established_on"] = Established == null ? null : (object)EstablishedOn;
            return data;
        }
    }

    public static class WinHttpErrors
    {
        public const int Timeout = 12002;
        public const int InternalError = 12004;
        public const int NameNotResolved = 12007;
        public const int CannotConnect = 12029;
        public const int InvalidUrl = 12005;
        public const int UnrecognizedScheme = 12006;
        public const int OperationCancelled = 12017;
        public const int InvalidParameter = 87;
        public const int InvalidHandle = 6;
    }

    // How WinHTTP is opened for one method (docs/reference/connectivity-analyzer.md#methods, cpprestsdk's modes).
    public sealed class SessionPlan
    {
        public const int AccessDefaultProxy = 0;
        public const int AccessNoProxy = 1;
        public const int AccessNamedProxy = 3;

        public int AccessType;
        public string ProxyName;
        public bool AutoDetect;

        public static SessionPlan For(ProbeMethod method, string proxy)
        {
            SessionPlan plan = new SessionPlan();
            switch (method)
            {
                case ProbeMethod.DefaultProxy:
                    // WinHTTP's default configuration (netsh winhttp), what the sensor uses; never
                    // AUTOMATIC_PROXY, which also follows the user's Internet Options.
                    plan.AccessType = AccessDefaultProxy;
                    break;
                case ProbeMethod.AutoDiscovery:
                    // Discover per request; when discovery finds nothing the request goes direct.
                    plan.AccessType = AccessNoProxy;
                    plan.AutoDetect = true;
                    break;
                case ProbeMethod.ProxyDisabled:
                    plan.AccessType = AccessNoProxy;
                    break;
                default:
                    if (String.IsNullOrEmpty(proxy))
                    {
                        throw new ArgumentException("the named and command-line methods need a proxy");
                    }
                    plan.AccessType = AccessNamedProxy;
                    plan.ProxyName = proxy;
                    break;
            }
            return plan;
        }

        public static string AccessName(int accessType)
        {
            switch (accessType)
            {
                case AccessDefaultProxy: return "default";
                case AccessNoProxy: return "no-proxy";
                case AccessNamedProxy: return "named";
                default: return accessType.ToString();
            }
        }
    }

    // The parts of a URL WinHTTP needs, or the WinHTTP error a bad URL would give.
    public sealed class WinHttpProbeTarget
    {
        public string Host;
        public int Port;
        public string PathAndQuery;
        public bool Secure;
        public int Error;

        public static WinHttpProbeTarget Parse(string url)
        {
            WinHttpProbeTarget target = new WinHttpProbeTarget();
            Uri uri;
            if (String.IsNullOrEmpty(url) || !Uri.TryCreate(url, UriKind.Absolute, out uri))
            {
                target.Error = WinHttpErrors.InvalidUrl;
                return target;
            }
            if (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
            {
                target.Error = WinHttpErrors.UnrecognizedScheme;
                return target;
            }
            target.Host = uri.Host;
            target.Port = uri.Port;
            target.PathAndQuery = String.IsNullOrEmpty(uri.PathAndQuery) ? "/" : uri.PathAndQuery;
            target.Secure = uri.Scheme == Uri.UriSchemeHttps;
            return target;
        }
    }

    // Cancellation shared between the scheduler and a transport: the transport registers how to
    // abort (close its handles); Cancel runs that once, from whichever thread calls it.
    public sealed class ProbeCancellation
    {
        private readonly object sync = new object();
        private Action abort;
        private bool cancelled;
        private string stage;

        // Where the probe is (wpad, resolve, connect, tls, send, receive): set by the transport,
        // read by the scheduler to label a probe it has to abandon.
        public string Stage
        {
            get { lock (sync) { return stage; } }
            set { lock (sync) { stage = value; } }
        }

        public bool IsCancelled
        {
            get { lock (sync) { return cancelled; } }
        }

        public void Register(Action action)
        {
            bool runNow;
            lock (sync)
            {
                abort = action;
                runNow = cancelled;
            }
            if (runNow && action != null)
            {
                action();
            }
        }

        public void Cancel()
        {
            Action action;
            lock (sync)
            {
                if (cancelled)
                {
                    return;
                }
                cancelled = true;
                action = abort;
            }
            if (action != null)
            {
                action();
            }
        }
    }

    public interface IProbeTransport
    {
        // Run one probe synchronously. Give up after timeoutMs, and return promptly when
        // cancel is cancelled. Fill in everything but ElapsedMs, which the scheduler measures.
        WinHttpProbeResult Execute(ProbeRequest request, int timeoutMs, ProbeCancellation cancel);

        // WPAD discovery for the run (method 2), as one step: DHCP/DNS detection, script download
        // and evaluation for url, with the documented retries. Same time rules as Execute.
        WpadDiscovery Discover(string url, int timeoutMs, ProbeCancellation cancel);
    }

    // What the run's one WPAD discovery found.
    public sealed class WpadDiscovery
    {
        public int Error;            // 0 when a configuration was found
        public string Attempt;       // service, in-process or autologon when found
        public string Proxy;         // the proxy the script named for the sample URL (null: DIRECT)
        public long ElapsedMs;
        public bool TimedOut;

        public Dictionary<string, object> ToDictionary()
        {
            Dictionary<string, object> data = new Dictionary<string, object>();
            data["error"] = Error == 0 ? null : (object)Error;
            data["attempt"] = Attempt;
            data["proxy"] = Proxy;
            data["elapsed_ms"] = ElapsedMs;
            data["timed_out"] = TimedOut;
            return data;
        }
    }
}

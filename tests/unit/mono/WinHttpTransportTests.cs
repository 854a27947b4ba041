// Copyright: contributors to purview.device_proxy
// GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
//
// The REAL WinHTTP transport (WinHttpTransport) and WinHttpProxyConfig's native API class, run
// under mono against the documented-contract stand-in (standin/winhttp_standin.c, loaded through
// a dllmap for winhttp.dll, crypt32.dll and kernel32.dll). Each scenario writes the stand-in's
// script, runs the C#, checks the result, then asks the stand-in what was left behind: any
// VIOLATION (a documented rule broken, a handle never closed, a context never freed) fails it.
// Prints "PASS <name>" or "FAIL <name>: <why>"; exit code 1 on any failure.
// Compiled by tests/unit/mono/test_winhttp_transport_standin.py; argument 1 is a folder with the
// test certificates (leaf.der, ca.der).

using System;
using System.Collections.Generic;
using System.IO;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading;
using ansible_collections.purview.device_proxy.plugins.module_utils.WinHttpProbeModel;
using ansible_collections.purview.device_proxy.plugins.module_utils.WinHttpProbeScheduler;
using ansible_collections.purview.device_proxy.plugins.module_utils.WinHttpProbeTransport;
using ansible_collections.purview.device_proxy.plugins.module_utils.WinHttpProxyConfig;

namespace WinHttpTransportTests
{
    public static class Program
    {
        [DllImport("winhttp.dll", EntryPoint = "standin_load")]
        private static extern int StandinLoad(string path);

        [DllImport("winhttp.dll", EntryPoint = "standin_finish")]
        private static extern int StandinFinish(StringBuilder buffer, int size);

        [DllImport("winhttp.dll", EntryPoint = "standin_calls")]
        private static extern int StandinCalls(StringBuilder buffer, int size);

        private static int failures;
        private static string certs;
        private static string scratch;
        private static List<string> calls;

        private static void Check(bool condition, string what)
        {
            if (!condition) throw new Exception(what);
        }

        private static void Equal<T>(T expected, T actual, string what)
        {
            if (!EqualityComparer<T>.Default.Equals(expected, actual))
            {
                throw new Exception(String.Format("{0}: expected <{1}>, got <{2}>", what, expected, actual));
            }
        }

        private static object Field(WinHttpProbeResult result, string key)
        {
            Dictionary<string, object> data = result.ToDictionary();
            object value;
            if (!data.TryGetValue(key, out value)) throw new Exception("the result has no field " + key);
            return value;
        }

        // One scenario: the script's lines (fields separated by tabs), then the test.
        private static void Run(string name, string[] script, Action test)
        {
            string path = Path.Combine(scratch, name + ".script");
            File.WriteAllText(path, String.Join("\n", script).Replace("{certs}", certs) + "\n");
            StandinLoad(path);
            string problem = null;
            try
            {
                test();
            }
            catch (Exception e)
            {
                problem = e.GetType().Name == "Exception" ? e.Message : e.ToString();
            }
            StringBuilder report = new StringBuilder(65536);
            StandinFinish(report, report.Capacity);
            List<string> violations = new List<string>();
            foreach (string line in report.ToString().Split('\n'))
            {
                string text = line.StartsWith("VIOLATION ") ? line.Substring(10) : null;
                if (text != null && !violations.Contains(text)) violations.Add(text);
                if (line.StartsWith("fetches=") && line != "fetches=0") violations.Add("intermediates fetched over the network: " + line);
            }
            if (violations.Count > 0)
            {
                problem = (problem == null ? "" : problem + "; ") + "stand-in: " + String.Join(" | ", violations.ToArray());
            }
            if (problem == null)
            {
                Console.WriteLine("PASS " + name);
            }
            else
            {
                failures++;
                Console.WriteLine("FAIL " + name + ": " + problem.Replace("\n", " "));
            }
        }

        private static WinHttpProbeResult Probe(string url, string method, string proxy, int timeoutMs)
        {
            ProbeRequest request = new ProbeRequest(url, ProbeMethods.Parse(method), proxy);
            return new WinHttpTransport().Execute(request, timeoutMs, new ProbeCancellation());
        }

        private static WinHttpProbeResult Probe(string url, string method)
        {
            return Probe(url, method, null, 5000);
        }

        // Whether the stand-in recorded a call starting with prefix in this scenario so far.
        private static bool Called(string prefix)
        {
            StringBuilder buffer = new StringBuilder(65536);
            StandinCalls(buffer, buffer.Capacity);
            calls = new List<string>();
            foreach (string line in buffer.ToString().Split('\n'))
            {
                if (line.StartsWith("CALL ")) calls.Add(line.Substring(5));
            }
            foreach (string line in calls) if (line.StartsWith(prefix)) return true;
            return false;
        }

        public static int Main(string[] args)
        {
            certs = args[0];
            scratch = args[1];

            // WinHttpQueryHeaders, WINHTTP_QUERY_CUSTOM: name in pwszName, two-call pattern.
            Run("custom_header_read_by_the_documented_pattern", new string[] {
                "host\tsvc.test\tstatus=403\theader=Via: 1.1 proxy.corp (squid/5.7)\theader=X-Squid-Error: ERR_ACCESS_DENIED 0",
            }, delegate
            {
                WinHttpProbeResult r = Probe("http://svc.test/ping", "disabled");
                Equal(403, r.StatusCode, "status");
                Check(r.ProxyHeaders != null, "proxy_headers missing: the custom header query failed");
                Equal("1.1 proxy.corp (squid/5.7)", (string)r.ProxyHeaders["via"], "via");
                Equal("ERR_ACCESS_DENIED 0", (string)r.ProxyHeaders["x_squid_error"], "x_squid_error");
                Equal<object>(null, r.ProxyHeaders["proxy_status"], "proxy_status absent");
            });

            Run("no_proxy_headers_is_null", new string[] { "host\tsvc.test\tstatus=200" }, delegate
            {
                WinHttpProbeResult r = Probe("http://svc.test/", "disabled");
                Equal(200, r.StatusCode, "status");
                Check(r.ProxyHeaders == null, "no proxy header: null");
            });

            // A status callback must not call back into WinHTTP (the stand-in flags any call).
            Run("status_callback_never_reenters_winhttp", new string[] {
                "host\tslow.test\tfail_at=connect\terror=12029",
            }, delegate
            {
                ProbeCancellation cancel = new ProbeCancellation();
                WinHttpProbeResult r = new WinHttpTransport().Execute(new ProbeRequest("http://slow.test/", ProbeMethod.ProxyDisabled, null), 5000, cancel);
                Equal(12029, r.WinHttpError, "error");
                Equal("send", r.ErrorStage, "the call that failed");
                Equal("connect", cancel.Stage, "where it was, from the callback's dwContext");
            });

            Run("stage_tracked_while_stuck_then_cancelled", new string[] {
                "host\thole.test\tfail_at=connect\tdelay_ms=60000",
            }, delegate
            {
                ProbeCancellation cancel = new ProbeCancellation();
                WinHttpProbeResult r = null;
                Thread worker = new Thread(delegate ()
                {
                    r = new WinHttpTransport().Execute(new ProbeRequest("http://hole.test/", ProbeMethod.ProxyDisabled, null), 60000, cancel);
                });
                worker.Start();
                for (int i = 0; i < 400 && cancel.Stage != "connect"; i++) Thread.Sleep(5);
                Equal("connect", cancel.Stage, "stage seen through the callback");
                cancel.Cancel();
                Check(worker.Join(5000), "the cancelled probe returned");
                Equal(WinHttpErrors.OperationCancelled, r.WinHttpError, "cancelled");
            });

            Run("timeout_is_winhttp_timeout", new string[] {
                "host\tlate.test\tfail_at=receive\tdelay_ms=10000",
            }, delegate
            {
                WinHttpProbeResult r = Probe("http://late.test/", "disabled", null, 100);
                Equal(WinHttpErrors.Timeout, r.WinHttpError, "timeout");
                Equal("receive", r.ErrorStage, "stage");
            });

            // Method 1 is WinHTTP's default configuration (netsh winhttp), never Internet Options.
            Run("default_method_uses_the_winhttp_default_proxy", new string[] {
                "default\taccess=3\tproxy=netsh.test:8080\tbypass=<local>",
                "ie\tproxy=ie.test:3128",
                "host\tsvc.test\tvia=netsh.test:8080\tstatus=200",
                "host\tsvc.test\tvia=ie.test:3128\tstatus=200\theader=Via: 1.1 ie-proxy",
            }, delegate
            {
                WinHttpProbeResult r = Probe("http://svc.test/", "default");
                Check(Called("WinHttpOpen access=0 "), "method 1 opened WinHTTP with access type " + String.Join(",", calls.ToArray()));
                Equal(200, r.StatusCode, "status");
                Equal("default", r.Access, "access");
                Equal("netsh.test:8080", (string)Field(r, "proxy_used"), "the proxy the request went through");
            });

            Run("default_method_direct_reports_direct", new string[] {
                "default\taccess=1",
                "host\tsvc.test\tvia=direct\tstatus=200",
            }, delegate
            {
                WinHttpProbeResult r = Probe("http://svc.test/", "default");
                Equal(200, r.StatusCode, "status");
                Equal("direct", (string)Field(r, "proxy_used"), "proxy used");
            });

            Run("named_method_reports_its_proxy", new string[] {
                "host\tsvc.test\tvia=10.0.0.6:8080\tstatus=200",
            }, delegate
            {
                WinHttpProbeResult r = Probe("http://svc.test/", "named", "10.0.0.6:8080", 5000);
                Equal(200, r.StatusCode, "status");
                Equal("10.0.0.6:8080", (string)Field(r, "proxy_used"), "proxy used");
            });

            // WPAD: the discovered proxy must be set on the request, or the probe fails.
            Run("wpad_proxy_is_used", new string[] {
                "wpad\tproxy=wpad-proxy.test:8080",
                "host\tsvc.test\tvia=wpad-proxy.test:8080\tstatus=200",
            }, delegate
            {
                WinHttpProbeResult r = Probe("http://svc.test/", "wpad");
                Equal(200, r.StatusCode, "status");
                Equal("wpad-proxy.test:8080", r.Proxy, "discovered");
                Equal("service", r.AutoDetectAttempt, "attempt");
                Equal("wpad-proxy.test:8080", (string)Field(r, "proxy_used"), "proxy used");
            });

            Run("wpad_proxy_that_cannot_be_set_fails_instead_of_going_direct", new string[] {
                "wpad\tproxy=wpad-proxy.test:8080",
                "set_proxy\terror=87",
                "host\tsvc.test\tvia=direct\tstatus=200",
            }, delegate
            {
                WinHttpProbeResult r = Probe("http://svc.test/", "wpad");
                Check(!Called("answer "), "a request was sent although the discovered proxy could not be set");
                Equal(0, r.StatusCode, "no answer");
                Equal(87, r.WinHttpError, "the WinHttpSetOption error");
                Equal("wpad", r.ErrorStage, "stage");
            });

            Run("wpad_not_found", new string[] {
                "wpad\terror=12180",
                "host\tsvc.test\tvia=direct\tstatus=200",
            }, delegate
            {
                WinHttpProbeResult r = Probe("http://svc.test/", "wpad");
                Equal(12180, r.AutoDetectError, "autodetect error");
                Equal("direct", (string)Field(r, "proxy_used"), "went direct");
            });

            Run("run_discovery", new string[] { "wpad\tproxy=wpad-proxy.test:8080" }, delegate
            {
                WpadDiscovery found = new WinHttpTransport().Discover("http://svc.test/", 5000, new ProbeCancellation());
                Equal(0, found.Error, "error");
                Equal("wpad-proxy.test:8080", found.Proxy, "proxy");
            });

            // The chain WinHTTP validated, its trust status, every context freed.
            Run("server_chain_from_winhttp", new string[] {
                "host\tsvc.test\tstatus=200\tchain={certs}/leaf.der,{certs}/ca.der",
            }, delegate
            {
                WinHttpProbeResult r = Probe("https://svc.test/", "disabled");
                Equal(200, r.StatusCode, "status");
                Check(r.ServerChain != null, "no chain");
                Equal(2, r.ServerChain.Count, "chain length");
                string leaf = new System.Security.Cryptography.X509Certificates.X509Certificate2(
                    File.ReadAllBytes(Path.Combine(certs, "leaf.der"))).Thumbprint.ToLowerInvariant();
                Equal(leaf, (string)r.ServerChain[0]["thumbprint"], "leaf first");
                Equal<object>(0, Field(r, "chain_status"), "trust status");
                Equal<object>("winhttp", Field(r, "chain_source"), "chain source");
            });

            Run("server_chain_trust_errors_reported", new string[] {
                "host\tsvc.test\tstatus=200\tchain={certs}/leaf.der,{certs}/ca.der\tchain_error=0x20",
            }, delegate
            {
                WinHttpProbeResult r = Probe("https://svc.test/", "disabled");
                Equal<object>(0x20, Field(r, "chain_status"), "CERT_TRUST_IS_UNTRUSTED_ROOT");
            });

            Run("server_chain_built_from_cache_only_without_the_chain_option", new string[] {
                "os\tchain_option=0",
                "host\tsvc.test\tstatus=200\tchain={certs}/leaf.der,{certs}/ca.der",
            }, delegate
            {
                WinHttpProbeResult r = Probe("https://svc.test/", "disabled");
                Check(r.ServerChain != null && r.ServerChain.Count == 2, "built chain");
                Equal<object>("built", Field(r, "chain_source"), "chain source");
                Check(Called("CertGetCertificateChain flags=0x"), "CertGetCertificateChain called");
            });

            // A proxy refusing CONNECT answers itself: no server certificate, so no chain at all.
            Run("https_refused_by_the_proxy_has_no_chain", new string[] {
                "host\tsvc.test\tvia=10.0.0.6:8080\tstatus=403\theader=X-Squid-Error: ERR_ACCESS_DENIED 0",
            }, delegate
            {
                WinHttpProbeResult r = Probe("https://svc.test/", "named", "10.0.0.6:8080", 5000);
                Equal(403, r.StatusCode, "status");
                Check(r.ServerChain == null, "no chain");
                Equal<object>(null, Field(r, "chain_status"), "no status");
                Equal("ERR_ACCESS_DENIED 0", (string)r.ProxyHeaders["x_squid_error"], "the proxy's header");
            });

            Run("https_headers_inside_an_intercepted_tunnel", new string[] {
                "host\tsvc.test\tstatus=502\theader=Via: 1.1 bumping-proxy\tchain={certs}/leaf.der,{certs}/ca.der\tchain_error=0x20",
            }, delegate
            {
                WinHttpProbeResult r = Probe("https://svc.test/", "disabled");
                Equal(502, r.StatusCode, "status");
                Check(r.ProxyHeaders != null && (string)r.ProxyHeaders["via"] == "1.1 bumping-proxy", "headers of an https answer examined");
            });

            // Documented failures of each call, scripted: the probe reports the call and its error.
            Run("session_refused", new string[] { "fail\tcall=WinHttpOpen\terror=12004" }, delegate
            {
                WinHttpProbeResult r = Probe("http://svc.test/", "disabled");
                Equal(12004, r.WinHttpError, "error");
                Equal("open", r.ErrorStage, "stage");
            });

            Run("connect_refused", new string[] { "fail\tcall=WinHttpConnect\terror=12004" }, delegate
            {
                WinHttpProbeResult r = Probe("http://svc.test/", "disabled");
                Equal(12004, r.WinHttpError, "error");
                Equal("connect", r.ErrorStage, "stage");
            });

            Run("request_refused", new string[] { "fail\tcall=WinHttpOpenRequest\terror=12004" }, delegate
            {
                WinHttpProbeResult r = Probe("http://svc.test/", "disabled");
                Equal("open", r.ErrorStage, "stage");
            });

            Run("status_unreadable", new string[] { "fail\tcall=WinHttpQueryHeaders\terror=12150", "host\tsvc.test\tstatus=200" }, delegate
            {
                WinHttpProbeResult r = Probe("http://svc.test/", "disabled");
                Equal(12150, r.WinHttpError, "error");
                Equal("status", r.ErrorStage, "stage");
            });

            Run("discovery_session_refused", new string[] { "fail\tcall=WinHttpOpen\terror=12004" }, delegate
            {
                WpadDiscovery found = new WinHttpTransport().Discover("http://svc.test/", 5000, new ProbeCancellation());
                Equal(12004, found.Error, "error");
            });

            Run("wpad_retried_in_process_after_a_service_error", new string[] {
                "wpad\terror_first=12178\tproxy=wpad-proxy.test:8080",
                "host\tsvc.test\tvia=wpad-proxy.test:8080\tstatus=200",
            }, delegate
            {
                WinHttpProbeResult r = Probe("http://svc.test/", "wpad");
                Equal("in-process", r.AutoDetectAttempt, "attempt");
                Check(Called("WinHttpGetProxyForUrl flags=0x10001"), "second attempt runs in process");
            });

            Run("wpad_retried_with_autologon_after_a_login_failure", new string[] {
                "wpad\terror_first=12015\tproxy=wpad-proxy.test:8080",
                "host\tsvc.test\tvia=wpad-proxy.test:8080\tstatus=200",
            }, delegate
            {
                WinHttpProbeResult r = Probe("http://svc.test/", "wpad");
                Equal("autologon", r.AutoDetectAttempt, "attempt");
                Check(Called("WinHttpGetProxyForUrl flags=0x1 autologon=1"), "second attempt with automatic logon");
            });

            Run("server_chain_not_buildable", new string[] {
                "os\tchain_option=0",
                "fail\tcall=CertGetCertificateChain\terror=87",
                "host\tsvc.test\tstatus=200\tchain={certs}/leaf.der,{certs}/ca.der",
            }, delegate
            {
                WinHttpProbeResult r = Probe("https://svc.test/", "disabled");
                Check(r.ServerChain == null, "no chain reported");
                Equal<object>(null, Field(r, "chain_status"), "no status");
            });

            Run("proxy_config_write_refused", new string[] { "fail\tcall=WinHttpSetDefaultProxyConfiguration\terror=5" }, delegate
            {
                bool threw = false;
                try { new NativeWinHttpApi().SetDefaultProxy(new DefaultProxySetting(AccessType.NoProxy, null, null)); }
                catch (System.ComponentModel.Win32Exception e) { threw = e.NativeErrorCode == 5; }
                Check(threw, "access denied is thrown with its error");
            });

            Run("proxy_config_internet_options_unreadable", new string[] { "fail\tcall=WinHttpGetIEProxyConfigForCurrentUser\terror=87" }, delegate
            {
                bool threw = false;
                try { new NativeWinHttpApi().GetIeProxyForCurrentUser(); }
                catch (System.ComponentModel.Win32Exception e) { threw = e.NativeErrorCode == 87; }
                Check(threw, "thrown with its error");
            });

            Run("bad_url_touches_nothing", new string[0], delegate
            {
                WinHttpProbeResult r = Probe("ftp://svc.test/", "disabled");
                Equal(WinHttpErrors.UnrecognizedScheme, r.WinHttpError, "scheme");
            });

            Run("default_method_on_windows_before_8_1", new string[] {
                "os\tautomatic_proxy=0",
                "default\taccess=1",
                "host\tsvc.test\tstatus=200",
            }, delegate
            {
                WinHttpProbeResult r = Probe("http://svc.test/", "default");
                Equal(200, r.StatusCode, "status");
            });

            // The scheduler with the real transport: several methods, one run.
            Run("scheduler_with_the_real_transport", new string[] {
                "default\taccess=3\tproxy=netsh.test:8080",
                "wpad\terror=12180",
                "host\ta.test\tstatus=200",
                "host\tb.test\tstatus=200",
                "host\ta.test\tvia=10.0.0.6:8080\tstatus=200",
                "host\tb.test\tvia=10.0.0.6:8080\tstatus=403\theader=X-Squid-Error: ERR_ACCESS_DENIED 0",
            }, delegate
            {
                List<ProbeRequest> plan = ProbeScheduler.Plan(new string[] { "http://a.test/", "http://b.test/" },
                    new string[] { "default", "wpad", "disabled", "named", "command_line" }, "10.0.0.6:8080", null);
                WinHttpProbeResult[] results = new ProbeScheduler(new WinHttpTransport(), 4, 5000, 20000).Run(plan);
                Equal(10, results.Length, "results");
                foreach (WinHttpProbeResult r in results)
                {
                    if (r.Method == ProbeMethod.CommandLineProxy) Equal("not_configured", r.SkipReason, "command line");
                    else if (r.Method == ProbeMethod.AutoDiscovery) Equal("wpad_failed", r.Established, "wpad");
                    else Check(r.StatusCode == 200 || r.StatusCode == 403, r.Method + " " + r.Url + " " + r.WinHttpError);
                }
            });

            // WinHttpProxyConfig's native class through the same stand-in.
            Run("proxy_config_reads_the_default_proxy", new string[] {
                "default\taccess=3\tproxy=10.0.0.6:8080\tbypass=<local>",
            }, delegate
            {
                DefaultProxySetting s = new NativeWinHttpApi().GetDefaultProxy();
                Equal(AccessType.NamedProxy, s.AccessType, "access");
                Equal("10.0.0.6:8080", s.Proxy, "proxy");
                Equal("<local>", s.ProxyBypass, "bypass");
                ProxyReadBack back = DefaultProxy.ReadBack(new NativeWinHttpApi());
                Equal("named_proxy", back.AccessType, "read back");
            });

            Run("proxy_config_read_failure_is_reported", new string[] { "default\terror=5" }, delegate
            {
                ProxyReadBack back = DefaultProxy.ReadBack(new NativeWinHttpApi());
                Check(back.Error != null && back.Error.StartsWith("Win32Exception"), "error: " + back.Error);
            });

            Run("proxy_config_writes_the_default_proxy", new string[0], delegate
            {
                DefaultProxy.Apply(new NativeWinHttpApi(), new DefaultProxySetting(AccessType.NamedProxy, "10.0.0.6:8080", "<local>"));
                DefaultProxy.Apply(new NativeWinHttpApi(), new DefaultProxySetting(AccessType.NoProxy, null, null));
                Check(Called("WinHttpSetDefaultProxyConfiguration access=3 proxy=10.0.0.6:8080 bypass=<local>"), "named written");
                Check(Called("WinHttpSetDefaultProxyConfiguration access=1 proxy=(null) bypass=(null)"), "no proxy written");
            });

            Run("proxy_config_reads_internet_options", new string[] {
                "ie\tauto_detect=1\tproxy=ie.test:3128\tauto_config_url=http://wpad.test/wpad.dat",
            }, delegate
            {
                IeProxySetting s = new NativeWinHttpApi().GetIeProxyForCurrentUser();
                Check(s.Found && s.AutoDetect, "found, auto detect");
                Equal("ie.test:3128", s.Proxy, "proxy");
                Equal("http://wpad.test/wpad.dat", s.AutoConfigUrl, "pac");
                Equal<string>(null, s.ProxyBypass, "no bypass");
            });

            Run("proxy_config_without_internet_options", new string[] { "ie\tfound=0" }, delegate
            {
                Check(!new NativeWinHttpApi().GetIeProxyForCurrentUser().Found, "not found");
            });

            Console.WriteLine(failures == 0 ? "ALL PASSED" : failures + " FAILED");
            return failures == 0 ? 0 : 1;
        }
    }
}

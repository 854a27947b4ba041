// Copyright: contributors to purview.device_proxy
// GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
//
// A simulated network for the device test's scheduler (tools/bench/bench_device_probe.py): the real
// ProbeScheduler from the device probe's C# utils runs against a transport that sleeps and fails the way a
// network profile says, and the results are printed as JSON for the controller's verdict code.
//
// Usage: mono SimulatedNetwork.exe PROFILE MODE URLS TIMEOUT_MS CONCURRENCY DEADLINE_MS
//   PROFILE  healthy | named-proxy-down | no-wpad | black-holed-cdn | everything-down
//   MODE     scheduled (shared failures established) | exhaustive (every probe) | sequential
//            (one probe at a time, every probe, discovery per probe: the analyzer's loop)

using System;
using System.Collections;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Threading;
using ansible_collections.purview.device_proxy.plugins.module_utils.WinHttpProbeModel;
using ansible_collections.purview.device_proxy.plugins.module_utils.WinHttpProbeScheduler;

namespace SimulatedNetwork
{
    public sealed class Profile
    {
        public bool DirectDown;          // every direct connection is black-holed
        public string BlackHoledHost;    // one host black-holed directly and behind the proxies
        public bool NamedDown;           // the TelemetryProxyServer proxy is black-holed
        public bool CommandLineDown;     // the command-line proxy is black-holed
        public bool NoWpad;              // discovery finds nothing
        public int DiscoveryMs = 150;    // how long discovery takes (found or not)

        public static Profile Named(string name)
        {
            Profile p = new Profile();
            switch (name)
            {
                case "healthy": break;
                case "named-proxy-down": p.NamedDown = true; break;
                case "no-wpad": p.NoWpad = true; p.DiscoveryMs = 300; break;
                case "black-holed-cdn": p.BlackHoledHost = "svc07.test"; break;
                case "everything-down":
                    p.DirectDown = true; p.NamedDown = true; p.CommandLineDown = true; p.NoWpad = true; p.DiscoveryMs = 300;
                    break;
                default: throw new ArgumentException("unknown profile " + name);
            }
            return p;
        }
    }

    public sealed class SimulatedTransport : IProbeTransport
    {
        public const string NamedProxy = "10.0.0.6:8080";
        public const string CommandLineProxy = "10.0.0.7:3128";
        private readonly Profile profile;
        private readonly bool discoverPerProbe;
        private int probes;

        public int Probes { get { return probes; } }

        public SimulatedTransport(Profile profile, bool discoverPerProbe)
        {
            this.profile = profile;
            this.discoverPerProbe = discoverPerProbe;
        }

        // Sleep, or until cancelled; true when the time ran out first.
        private static bool Wait(int ms, ProbeCancellation cancel)
        {
            ManualResetEvent released = new ManualResetEvent(false);
            cancel.Register(delegate { released.Set(); });
            return !released.WaitOne(ms);
        }

        private static int Latency(string url, ProbeMethod method)
        {
            // 30-120 ms, fixed per URL and method so every run sees the same network.
            int hash = 17;
            foreach (char c in url) hash = unchecked(hash * 31 + c);
            hash = unchecked(hash * 31 + (int)method);
            return 30 + (int)((uint)hash % 91);
        }

        public WpadDiscovery Discover(string url, int timeoutMs, ProbeCancellation cancel)
        {
            WpadDiscovery found = new WpadDiscovery();
            cancel.Stage = "wpad";
            if (!Wait(Math.Min(profile.DiscoveryMs, timeoutMs), cancel) || profile.DiscoveryMs > timeoutMs)
            {
                found.Error = 12002;
                return found;
            }
            if (profile.NoWpad)
            {
                found.Error = 12180;
                return found;
            }
            found.Attempt = "service";
            found.Proxy = NamedProxy;
            return found;
        }

        public WinHttpProbeResult Execute(ProbeRequest request, int timeoutMs, ProbeCancellation cancel)
        {
            Interlocked.Increment(ref probes);
            WinHttpProbeResult result = new WinHttpProbeResult(request);
            Uri uri = new Uri(request.Url);
            string proxy = request.Proxy;
            bool proxyDown = false;
            if (request.Method == ProbeMethod.AutoDiscovery)
            {
                result.Access = "auto-detect";
                if (discoverPerProbe)
                {
                    Stopwatch spent = Stopwatch.StartNew();
                    WpadDiscovery found = Discover(request.Url, timeoutMs, cancel);
                    if (found.Error == 12002) return TimedOut(result, "wpad");
                    result.AutoDetectError = found.Error;
                    result.AutoDetectAttempt = found.Attempt;
                    proxy = found.Proxy;
                    timeoutMs -= (int)spent.ElapsedMilliseconds;
                }
                else if (!profile.NoWpad)
                {
                    result.AutoDetectAttempt = "service";
                    proxy = NamedProxy;
                }
                result.Proxy = proxy;
                proxyDown = proxy != null && profile.NamedDown;
            }
            if (request.Method == ProbeMethod.NamedProxy) proxyDown = profile.NamedDown;
            if (request.Method == ProbeMethod.CommandLineProxy) proxyDown = profile.CommandLineDown;
            if (proxy != null && proxyDown)
            {
                // The proxy never completes the TCP handshake.
                cancel.Stage = "connect";
                Wait(Math.Max(1, timeoutMs), cancel);
                return TimedOut(result, "connect");
            }
            bool hostDown = uri.Host == profile.BlackHoledHost || (proxy == null && profile.DirectDown);
            if (hostDown)
            {
                // Direct: the handshake never completes. Through a proxy: the proxy waits for the
                // origin, so the probe waits for the answer (a per-URL failure, never generalised).
                cancel.Stage = proxy == null ? "connect" : "receive";
                Wait(Math.Max(1, timeoutMs), cancel);
                return TimedOut(result, cancel.Stage);
            }
            cancel.Stage = "receive";
            if (!Wait(Latency(request.Url, request.Method), cancel))
            {
                return TimedOut(result, "receive");
            }
            result.StatusCode = 200;
            result.ServerChain = MicrosoftChain(uri.Host);
            return result;
        }

        private static WinHttpProbeResult TimedOut(WinHttpProbeResult result, string stage)
        {
            result.WinHttpError = WinHttpErrors.Timeout;
            result.ErrorStage = stage;
            result.TimedOut = true;
            return result;
        }

        private static List<Dictionary<string, object>> MicrosoftChain(string host)
        {
            List<Dictionary<string, object>> chain = new List<Dictionary<string, object>>();
            chain.Add(Cert("1111111111111111111111111111111111111111", "CN=" + host,
                "CN=Microsoft Azure RSA TLS Issuing CA 03, O=Microsoft Corporation, C=US"));
            chain.Add(Cert("df3c24f9bfd666761b268073fe06d1cc8d4f82a4",
                "CN=DigiCert Global Root G2, OU=www.digicert.com, O=DigiCert Inc, C=US",
                "CN=DigiCert Global Root G2, OU=www.digicert.com, O=DigiCert Inc, C=US"));
            return chain;
        }

        private static Dictionary<string, object> Cert(string thumbprint, string subject, string issuer)
        {
            Dictionary<string, object> cert = new Dictionary<string, object>();
            cert["thumbprint"] = thumbprint;
            cert["subject"] = subject;
            cert["issuer"] = issuer;
            return cert;
        }
    }

    public static class Json
    {
        public static void Write(StringBuilder sb, object value)
        {
            if (value == null) { sb.Append("null"); return; }
            if (value is bool) { sb.Append((bool)value ? "true" : "false"); return; }
            if (value is int || value is long) { sb.Append(Convert.ToString(value, CultureInfo.InvariantCulture)); return; }
            string text = value as string;
            if (text != null)
            {
                sb.Append('"');
                foreach (char c in text)
                {
                    if (c == '"' || c == '\\') sb.Append('\\').Append(c);
                    else if (c < ' ') sb.Append(String.Format("\\u{0:x4}", (int)c));
                    else sb.Append(c);
                }
                sb.Append('"');
                return;
            }
            IDictionary map = value as IDictionary;
            if (map != null)
            {
                sb.Append('{');
                bool first = true;
                foreach (DictionaryEntry entry in map)
                {
                    if (!first) sb.Append(',');
                    first = false;
                    Write(sb, entry.Key.ToString());
                    sb.Append(':');
                    Write(sb, entry.Value);
                }
                sb.Append('}');
                return;
            }
            IEnumerable list = value as IEnumerable;
            if (list != null)
            {
                sb.Append('[');
                bool first = true;
                foreach (object item in list)
                {
                    if (!first) sb.Append(',');
                    first = false;
                    Write(sb, item);
                }
                sb.Append(']');
                return;
            }
            throw new ArgumentException("cannot write " + value.GetType());
        }
    }

    public static class Program
    {
        public static int Main(string[] args)
        {
            Profile profile = Profile.Named(args[0]);
            string mode = args[1];
            int urlCount = Int32.Parse(args[2]);
            int timeoutMs = Int32.Parse(args[3]);
            int concurrency = Int32.Parse(args[4]);
            int deadlineMs = Int32.Parse(args[5]);
            List<string> urls = new List<string>();
            for (int i = 0; i < urlCount; i++) urls.Add(String.Format("https://svc{0:00}.test/ping", i));
            string[] methods = { "default", "wpad", "disabled", "named", "command_line" };
            List<ProbeRequest> plan = ProbeScheduler.Plan(urls, methods, SimulatedTransport.NamedProxy, SimulatedTransport.CommandLineProxy);
            bool sequential = mode == "sequential";
            SimulatedTransport transport = new SimulatedTransport(profile, mode != "scheduled");
            ProbeScheduler scheduler = new ProbeScheduler(transport, sequential ? 1 : concurrency, timeoutMs,
                sequential ? Int32.MaxValue / 2 : deadlineMs);
            scheduler.AbandonGraceMs = 200;
            if (mode != "scheduled") scheduler.EstablishAfter = 0;
            Stopwatch clock = Stopwatch.StartNew();
            WinHttpProbeResult[] results = scheduler.Run(plan);
            long wall = clock.ElapsedMilliseconds;
            List<object> probes = new List<object>();
            foreach (WinHttpProbeResult r in results) probes.Add(r.ToDictionary());
            Dictionary<string, object> run = new Dictionary<string, object>();
            run["elapsed_ms"] = wall;
            run["probes"] = plan.Count;
            run["probes_made"] = transport.Probes;
            run["peak_concurrency"] = scheduler.PeakConcurrency;
            run["deadline_reached"] = scheduler.DeadlineReached;
            run["abandoned"] = scheduler.Abandoned;
            run["wpad_discovery"] = scheduler.Discovery == null ? null : (object)scheduler.Discovery.ToDictionary();
            Dictionary<string, object> output = new Dictionary<string, object>();
            output["probes"] = probes;
            output["run"] = run;
            output["telemetry_proxy_server"] = SimulatedTransport.NamedProxy;
            output["winhttp_settings"] = new Dictionary<string, object>();
            StringBuilder sb = new StringBuilder();
            Json.Write(sb, output);
            Console.WriteLine(sb.ToString());
            return 0;
        }
    }
}

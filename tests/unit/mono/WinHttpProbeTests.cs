// Copyright: contributors to purview.device_proxy
// GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
//
// Logic tests for the device probe's C# utils under mono: planning, URL parsing, cancellation and the
// scheduler (bound, per-probe time limit, abandoning stuck probes, run deadline), driven by a
// fake transport. Prints "PASS <name>" or "FAIL <name>: <why>" per test; exit code 1 on any
// failure. Compiled together with the helper by tests/unit/tools/test_winhttp_probe_mono.py.

using System;
using System.Collections.Generic;
using System.Threading;
using ansible_collections.purview.device_proxy.plugins.module_utils.WinHttpProbeModel;
using ansible_collections.purview.device_proxy.plugins.module_utils.WinHttpProbeScheduler;
using ansible_collections.purview.device_proxy.plugins.module_utils.WinHttpProbeTransport;

namespace WinHttpProbeTests
{
    // Behaviour per URL host: "ok" answers the status in the path after a delay, "hang" blocks
    // until cancelled, "stuck" ignores cancellation for a long time, "boom" throws.
    public sealed class FakeTransport : IProbeTransport
    {
        private readonly object sync = new object();
        private int active;
        public int MaxActive;
        public int Calls;
        public List<int> Timeouts = new List<int>();
        public int DelayMs = 0;
        public List<string> Order = new List<string>();
        public int Discoveries;
        public int DiscoverError;
        public int DiscoverDelayMs;
        private int flakyCalls;

        public WpadDiscovery Discover(string url, int timeoutMs, ProbeCancellation cancel)
        {
            lock (sync) { Discoveries++; }
            Thread.Sleep(DiscoverDelayMs);
            WpadDiscovery found = new WpadDiscovery();
            found.Error = DiscoverError;
            if (DiscoverError == 0) found.Attempt = "service";
            return found;
        }

        // Through a proxy, the proxy's name decides: "refuse.*" takes no connection, "hole.*"
        // never completes the TCP handshake, "flaky.*" loses the first connection only,
        // "deny.*" answers 403, "tls.*" fails the handshake; anything else answers as the URL says.
        private WinHttpProbeResult ThroughProxy(ProbeRequest request, ProbeCancellation cancel, WinHttpProbeResult result)
        {
            string proxy = request.Proxy;
            if (proxy.StartsWith("refuse."))
            {
                result.WinHttpError = WinHttpErrors.CannotConnect;
                result.ErrorStage = "send";
                return result;
            }
            if (proxy.StartsWith("hole."))
            {
                cancel.Stage = "connect";
                ManualResetEvent released = new ManualResetEvent(false);
                cancel.Register(delegate { released.Set(); });
                released.WaitOne();
                result.WinHttpError = WinHttpErrors.OperationCancelled;
                result.ErrorStage = "send";
                return result;
            }
            if (proxy.StartsWith("flaky."))
            {
                bool first;
                lock (sync) { first = flakyCalls++ == 0; }
                if (first)
                {
                    result.WinHttpError = WinHttpErrors.CannotConnect;
                    result.ErrorStage = "send";
                    return result;
                }
            }
            if (proxy.StartsWith("deny."))
            {
                result.StatusCode = 403;
                return result;
            }
            if (proxy.StartsWith("tls."))
            {
                result.WinHttpError = 12175;
                result.ErrorStage = "send";
                return result;
            }
            return null;
        }

        public WinHttpProbeResult Execute(ProbeRequest request, int timeoutMs, ProbeCancellation cancel)
        {
            lock (sync)
            {
                Calls++;
                Order.Add(request.Method + " " + request.Url);
                active++;
                if (active > MaxActive) MaxActive = active;
                Timeouts.Add(timeoutMs);
            }
            try
            {
                Uri uri = new Uri(request.Url);
                WinHttpProbeResult result = new WinHttpProbeResult(request);
                result.Access = SessionPlan.AccessName(SessionPlan.For(request.Method, request.Proxy).AccessType);
                if (request.Proxy != null)
                {
                    WinHttpProbeResult proxied = ThroughProxy(request, cancel, result);
                    if (proxied != null) return proxied;
                }
                switch (uri.Host)
                {
                    case "hang.test":
                        ManualResetEvent released = new ManualResetEvent(false);
                        cancel.Register(delegate { released.Set(); });
                        released.WaitOne();
                        result.WinHttpError = WinHttpErrors.OperationCancelled;
                        result.ErrorStage = "receive";
                        return result;
                    case "stuck.test":
                        Thread.Sleep(30000);
                        result.StatusCode = 200;
                        return result;
                    case "stuck-connect.test":
                        // Where a real probe would be when a TCP connect hangs and ignores the cancel.
                        cancel.Stage = "connect";
                        Thread.Sleep(30000);
                        result.StatusCode = 200;
                        return result;
                    case "boom.test":
                        throw new InvalidOperationException("transport exploded");
                    default:
                        Thread.Sleep(DelayMs);
                        result.StatusCode = Int32.Parse(uri.AbsolutePath.Trim('/'));
                        return result;
                }
            }
            finally
            {
                lock (sync)
                {
                    active--;
                }
            }
        }
    }

    public static class Program
    {
        private static int failures;
        private static readonly string[] AllMethods = { "default", "wpad", "disabled", "named", "command_line" };

        private static void Check(bool condition, string what)
        {
            if (!condition) throw new Exception(what);
        }

        private static void Equal<T>(T expected, T actual, string what)
        {
            if (!EqualityComparer<T>.Default.Equals(expected, actual))
            {
                throw new Exception(String.Format("{0}: expected {1}, got {2}", what, expected, actual));
            }
        }

        private static void Run(string name, Action test)
        {
            try
            {
                test();
                Console.WriteLine("PASS " + name);
            }
            catch (Exception e)
            {
                failures++;
                Console.WriteLine("FAIL " + name + ": " + e.Message.Replace("\n", " "));
            }
        }

        private static List<string> Urls(int count)
        {
            List<string> urls = new List<string>();
            for (int i = 0; i < count; i++) urls.Add("https://u" + i + ".test/200");
            return urls;
        }

        private static List<ProbeRequest> Requests(params string[] urls)
        {
            return ProbeScheduler.Plan(urls, new string[] { "disabled" }, null, null);
        }

        public static int Main()
        {
            Run("plan_covers_every_url_and_method_in_order", delegate
            {
                List<ProbeRequest> plan = ProbeScheduler.Plan(new string[] { "https://a.test/200", "https://b.test/200" },
                    AllMethods, null, "10.0.0.6:8080");
                Equal(10, plan.Count, "requests");
                Equal("https://a.test/200", plan[0].Url, "first url");
                Equal(ProbeMethod.DefaultProxy, plan[0].Method, "first method");
                Equal(ProbeMethod.CommandLineProxy, plan[9].Method, "last method");
                Equal<string>(null, plan[3].Proxy, "named proxy not set");
                Equal("10.0.0.6:8080", plan[4].Proxy, "command-line proxy");
            });

            Run("unknown_method_is_refused", delegate
            {
                bool threw = false;
                try { ProbeMethods.Parse("socks"); } catch (ArgumentException) { threw = true; }
                Check(threw, "Parse('socks') did not throw");
                Equal(ProbeMethod.AutoDiscovery, ProbeMethods.Parse("WPAD"), "case-insensitive parse");
                Equal("command_line", ProbeMethods.Name(ProbeMethod.CommandLineProxy), "name");
            });

            Run("session_plans_follow_the_analyzer_methods", delegate
            {
                SessionPlan plan = SessionPlan.For(ProbeMethod.DefaultProxy, null);
                // Method 1 is WinHTTP's default configuration, as the sensor uses it.
                Equal(SessionPlan.AccessDefaultProxy, plan.AccessType, "default: WINHTTP_ACCESS_TYPE_DEFAULT_PROXY");
                plan = SessionPlan.For(ProbeMethod.AutoDiscovery, null);
                Check(plan.AutoDetect, "wpad discovers");
                Equal(SessionPlan.AccessNoProxy, plan.AccessType, "wpad: direct when nothing is found");
                Equal(SessionPlan.AccessNoProxy, SessionPlan.For(ProbeMethod.ProxyDisabled, null).AccessType, "disabled");
                plan = SessionPlan.For(ProbeMethod.NamedProxy, "10.0.0.6:8080");
                Equal(SessionPlan.AccessNamedProxy, plan.AccessType, "named");
                Equal("10.0.0.6:8080", plan.ProxyName, "named proxy");
                bool threw = false;
                try { SessionPlan.For(ProbeMethod.CommandLineProxy, ""); } catch (ArgumentException) { threw = true; }
                Check(threw, "a command-line plan without proxy was accepted");
            });

            Run("targets_are_parsed_like_winhttp_needs_them", delegate
            {
                WinHttpProbeTarget t = WinHttpProbeTarget.Parse("https://winatp-gw-cus.microsoft.com/commands/test?x=1");
                Equal("winatp-gw-cus.microsoft.com", t.Host, "host");
                Equal(443, t.Port, "port");
                Equal("/commands/test?x=1", t.PathAndQuery, "path");
                Check(t.Secure, "https is secure");
                t = WinHttpProbeTarget.Parse("http://ctldl.windowsupdate.com");
                Equal(80, t.Port, "http port");
                Equal("/", t.PathAndQuery, "root path");
                Check(!t.Secure, "http is not secure");
                Equal(WinHttpErrors.UnrecognizedScheme, WinHttpProbeTarget.Parse("ftp://x.test/").Error, "ftp");
                Equal(WinHttpErrors.InvalidUrl, WinHttpProbeTarget.Parse("not a url").Error, "garbage");
            });

            Run("cancellation_runs_the_abort_once_even_if_registered_late", delegate
            {
                int aborts = 0;
                ProbeCancellation cancel = new ProbeCancellation();
                cancel.Cancel();
                cancel.Register(delegate { aborts++; });
                cancel.Cancel();
                Equal(1, aborts, "aborts");
                Check(cancel.IsCancelled, "cancelled");
            });

            Run("results_keep_request_order_and_unconfigured_methods_do_not_probe", delegate
            {
                FakeTransport fake = new FakeTransport();
                List<ProbeRequest> plan = ProbeScheduler.Plan(new string[] { "https://a.test/200", "https://b.test/404" },
                    AllMethods, null, null);
                WinHttpProbeResult[] results = new ProbeScheduler(fake, 3, 5000, 20000).Run(plan);
                Equal(6, fake.Calls, "transport calls (3 methods x 2 URLs)");
                for (int i = 0; i < plan.Count; i++)
                {
                    Equal(plan[i].Url, results[i].Url, "url " + i);
                    Equal(plan[i].Method, results[i].Method, "method " + i);
                }
                Equal(200, results[0].StatusCode, "a status");
                Equal(404, results[5].StatusCode, "b status");
                Check(!results[3].Attempted, "named proxy not attempted");
                Equal("not_configured", results[3].SkipReason, "named skip reason");
                Equal("not_configured", results[9].SkipReason, "command-line skip reason");
            });

            Run("concurrency_stays_within_the_bound", delegate
            {
                FakeTransport fake = new FakeTransport();
                fake.DelayMs = 40;
                List<string> urls = new List<string>();
                for (int i = 0; i < 24; i++) urls.Add("https://h" + i + ".test/200");
                ProbeScheduler scheduler = new ProbeScheduler(fake, 4, 5000, 60000);
                WinHttpProbeResult[] results = scheduler.Run(ProbeScheduler.Plan(urls, new string[] { "disabled" }, null, null));
                Check(fake.MaxActive <= 4, "more than 4 probes ran at once: " + fake.MaxActive);
                Check(fake.MaxActive >= 2, "probes did not overlap: " + fake.MaxActive);
                Check(scheduler.PeakConcurrency <= 4, "scheduler peak " + scheduler.PeakConcurrency);
                foreach (WinHttpProbeResult r in results) Equal(200, r.StatusCode, r.Url);
            });

            Run("a_probe_over_its_time_limit_is_cancelled_and_marked_timed_out", delegate
            {
                FakeTransport fake = new FakeTransport();
                ProbeScheduler scheduler = new ProbeScheduler(fake, 2, 200, 60000);
                WinHttpProbeResult[] results = scheduler.Run(Requests("https://hang.test/", "https://ok.test/200"));
                Check(results[0].TimedOut, "hang not timed out");
                Equal(WinHttpErrors.OperationCancelled, results[0].WinHttpError, "hang error");
                Check(results[0].ElapsedMs >= 150, "hang returned before its limit: " + results[0].ElapsedMs);
                Check(!results[1].TimedOut, "ok timed out");
                Equal(200, results[1].StatusCode, "ok status");
                Equal(0, scheduler.Abandoned, "abandoned");
                Check(!scheduler.DeadlineReached, "deadline reached");
            });

            Run("a_probe_that_ignores_cancellation_is_abandoned_and_the_rest_still_run", delegate
            {
                FakeTransport fake = new FakeTransport();
                ProbeScheduler scheduler = new ProbeScheduler(fake, 1, 100, 60000);
                scheduler.AbandonGraceMs = 100;
                WinHttpProbeResult[] results = scheduler.Run(Requests("https://stuck.test/", "https://a.test/200", "https://b.test/400"));
                Check(results[0].TimedOut, "stuck not timed out");
                Equal(WinHttpErrors.Timeout, results[0].WinHttpError, "stuck error");
                Equal(1, scheduler.Abandoned, "abandoned");
                Equal(200, results[1].StatusCode, "a after the stuck one");
                Equal(400, results[2].StatusCode, "b after the stuck one");
            });

            Run("the_deadline_stops_the_run_and_skips_what_did_not_start", delegate
            {
                FakeTransport fake = new FakeTransport();
                ProbeScheduler scheduler = new ProbeScheduler(fake, 1, 60000, 300);
                WinHttpProbeResult[] results = scheduler.Run(Requests("https://hang.test/1", "https://hang.test/2", "https://hang.test/3"));
                Check(scheduler.DeadlineReached, "deadline not reached");
                Check(results[0].Attempted && results[0].TimedOut, "first probe not timed out");
                Equal("deadline", results[0].ErrorStage, "first probe stage");
                for (int i = 1; i < 3; i++)
                {
                    Check(!results[i].Attempted, "probe " + i + " attempted");
                    Equal("deadline", results[i].SkipReason, "probe " + i + " skip reason");
                }
                Equal(1, fake.Calls, "transport calls");
            });

            Run("probe_time_limits_never_exceed_the_time_left", delegate
            {
                FakeTransport fake = new FakeTransport();
                new ProbeScheduler(fake, 1, 60000, 5000).Run(Requests("https://a.test/200"));
                Check(fake.Timeouts[0] <= 5000 && fake.Timeouts[0] > 0, "timeout passed: " + fake.Timeouts[0]);
            });

            Run("transport_exceptions_become_internal_errors", delegate
            {
                WinHttpProbeResult[] results = new ProbeScheduler(new FakeTransport(), 1, 1000, 10000).Run(Requests("https://boom.test/"));
                Equal("internal", results[0].ErrorStage, "stage");
                Check(results[0].ErrorMessage.Contains("transport exploded"), "message: " + results[0].ErrorMessage);
                Check(results[0].Attempted, "attempted");
            });

            Run("results_serialise_with_nulls_for_missing_values", delegate
            {
                WinHttpProbeResult[] results = new ProbeScheduler(new FakeTransport(), 1, 1000, 10000).Run(
                    ProbeScheduler.Plan(new string[] { "https://a.test/200" }, new string[] { "disabled", "named" }, null, null));
                Dictionary<string, object> ok = results[0].ToDictionary();
                Equal<object>(200, ok["status_code"], "status");
                Equal<object>(null, ok["winhttp_error"], "no error");
                Equal<object>("disabled", ok["method"], "method");
                Equal<object>("no-proxy", ok["access"], "access");
                Equal(22, ok.Count, "keys");   // with chain_status, chain_source, proxy_used, proxy_bypass
                Dictionary<string, object> absent = results[1].ToDictionary();
                Equal<object>(false, absent["attempted"], "named attempted");
                Equal<object>(null, absent["status_code"], "named status");
            });

            Run("bad_scheduler_arguments_are_refused", delegate
            {
                bool threw = false;
                try { new ProbeScheduler(new FakeTransport(), 0, 1000, 1000); } catch (ArgumentOutOfRangeException) { threw = true; }
                Check(threw, "concurrency 0 accepted");
            });

            Run("handles_close_children_first_and_only_once", delegate
            {
                List<IntPtr> closed = new List<IntPtr>();
                ProbeHandles handles = new ProbeHandles(delegate(IntPtr h) { lock (closed) { closed.Add(h); } });
                handles.Session = new IntPtr(1);
                handles.Connection = new IntPtr(2);
                handles.Request = new IntPtr(3);
                handles.Close();
                handles.Close();
                Equal(3, closed.Count, "handles closed");
                Equal(new IntPtr(3), closed[0], "request first");
                Equal(new IntPtr(1), closed[2], "session last");
                Equal(IntPtr.Zero, handles.Session, "session forgotten");
            });

            Run("a_handle_opened_after_cancel_is_closed_at_once", delegate
            {
                // The scheduler may cancel before the transport has opened anything; whatever the
                // probe opens afterwards must not stay open (and so cannot run past its limit).
                List<IntPtr> closed = new List<IntPtr>();
                ProbeHandles handles = new ProbeHandles(delegate(IntPtr h) { lock (closed) { closed.Add(h); } });
                ProbeCancellation cancel = new ProbeCancellation();
                cancel.Cancel();
                cancel.Register(handles.Close);
                Check(handles.IsClosed, "Register after Cancel did not close");
                handles.Session = new IntPtr(7);
                Equal(1, closed.Count, "late session closed");
                Equal(new IntPtr(7), closed[0], "the late handle");
                Equal(IntPtr.Zero, handles.Session, "late session not kept");
                handles.Close();
                Equal(1, closed.Count, "no second close");
            });

            Run("cancel_closes_only_the_request_handle_and_the_owner_closes_the_rest", delegate
            {
                // The probe's own thread may still be inside a call on the session or connection
                // when the scheduler cancels: only the request handle may be closed from outside.
                List<IntPtr> closed = new List<IntPtr>();
                ProbeHandles handles = new ProbeHandles(delegate(IntPtr h) { lock (closed) { closed.Add(h); } });
                ProbeCancellation cancel = new ProbeCancellation();
                handles.Session = new IntPtr(1);
                handles.Connection = new IntPtr(2);
                handles.Request = new IntPtr(3);
                cancel.Register(handles.CancelRequest);
                cancel.Cancel();
                Equal(1, closed.Count, "handles closed by the cancel");
                Equal(new IntPtr(3), closed[0], "the request handle");
                Equal(new IntPtr(1), handles.Session, "session kept for its owner");
                Equal(new IntPtr(2), handles.Connection, "connection kept for its owner");
                Check(handles.IsRequestCancelled, "request not marked cancelled");
                handles.Request = new IntPtr(4);
                Equal(2, closed.Count, "a request opened after the cancel is closed at once");
                handles.Close();
                Equal(4, closed.Count, "the owner closed the rest");
                Equal(new IntPtr(2), closed[2], "connection before session");
                Equal(new IntPtr(1), closed[3], "session last");
                handles.Close();
                Equal(4, closed.Count, "nothing closed twice");
            });

            Run("an_abandoned_probe_is_labelled_with_the_stage_it_was_stuck_in", delegate
            {
                FakeTransport fake = new FakeTransport();
                ProbeScheduler scheduler = new ProbeScheduler(fake, 1, 100, 60000);
                scheduler.AbandonGraceMs = 100;
                WinHttpProbeResult[] results = scheduler.Run(Requests("https://stuck-connect.test/", "https://a.test/200"));
                Equal(1, scheduler.Abandoned, "abandoned");
                Check(results[0].TimedOut, "stuck probe not timed out");
                Equal("connect", results[0].ErrorStage, "stage");
                Equal(200, results[1].StatusCode, "the next probe still ran");
            });

            Run("winhttp_notifications_map_to_stages", delegate
            {
                Equal("resolve", StageTracker.StageOf(0x1, true), "resolving name");
                Equal("connect", StageTracker.StageOf(0x4, true), "connecting");
                Equal("tls", StageTracker.StageOf(0x8, true), "connected, https: the handshake is next");
                Equal("send", StageTracker.StageOf(0x8, false), "connected, http");
                Equal("receive", StageTracker.StageOf(0x40, true), "receiving");
                Equal<string>(null, StageTracker.StageOf(0x800, true), "handle closing is no stage");
            });

            Run("wpad_discovery_retries_in_process_then_with_autologon_once_each", delegate
            {
                int flags = 1;
                bool autoLogon = false;
                string attempt;
                Check(DiscoveryErrors.Retry(12178, ref flags, ref autoLogon, out attempt), "service error not retried");
                Equal("in-process", attempt, "first retry");
                Check((flags & 0x10000) != 0, "in-process flag not set");
                Check(!DiscoveryErrors.Retry(12178, ref flags, ref autoLogon, out attempt), "in-process retried twice");
                Check(DiscoveryErrors.Retry(12015, ref flags, ref autoLogon, out attempt), "login failure not retried");
                Equal("autologon", attempt, "second retry");
                Check(autoLogon, "automatic logon not switched on");
                Check(!DiscoveryErrors.Retry(12015, ref flags, ref autoLogon, out attempt), "autologon retried twice");
                Check(!DiscoveryErrors.Retry(12180, ref flags, ref autoLogon, out attempt), "no WPAD retried");
            });

            Run("a_refusing_named_proxy_is_established_on_two_urls_and_not_probed_again", delegate
            {
                FakeTransport fake = new FakeTransport();
                List<ProbeRequest> plan = ProbeScheduler.Plan(Urls(10), new string[] { "named" }, "refuse.proxy.test:8080", null);
                ProbeScheduler scheduler = new ProbeScheduler(fake, 16, 5000, 60000);
                WinHttpProbeResult[] results = scheduler.Run(plan);
                Equal(2, fake.Calls, "real probes");
                Equal(2, scheduler.ProbesMade, "probes made");
                Check(fake.Order[0] != fake.Order[1], "the two deciding probes used the same URL");
                for (int i = 2; i < results.Length; i++)
                {
                    Equal("proxy_unreachable", results[i].Established, "established " + i);
                    Equal(2, results[i].EstablishedOn, "established on " + i);
                    Equal(WinHttpErrors.CannotConnect, results[i].WinHttpError, "error " + i);
                    Check(!results[i].Attempted, "established result " + i + " claims a request");
                }
                Equal<string>(null, results[0].Established, "a deciding probe is its own result");
            });

            Run("a_black_holed_proxy_is_established_after_one_timeout", delegate
            {
                FakeTransport fake = new FakeTransport();
                List<ProbeRequest> plan = ProbeScheduler.Plan(Urls(12), new string[] { "named", "disabled" }, "hole.proxy.test:8080", null);
                ProbeScheduler scheduler = new ProbeScheduler(fake, 64, 300, 60000);
                WinHttpProbeResult[] results = scheduler.Run(plan);
                // (How long this takes is the benchmark's business: tools/bench/bench_device_probe.py.)
                int established = 0;
                foreach (WinHttpProbeResult r in results)
                {
                    if (r.Method == ProbeMethod.NamedProxy && r.Established == "proxy_unreachable") established++;
                    if (r.Method == ProbeMethod.ProxyDisabled) Equal(200, r.StatusCode, "direct " + r.Url);
                }
                Equal(10, established, "named results established");
                Equal(14, fake.Calls, "12 direct + 2 deciding");
            });

            Run("one_lost_connection_does_not_condemn_a_method", delegate
            {
                FakeTransport fake = new FakeTransport();
                List<ProbeRequest> plan = ProbeScheduler.Plan(Urls(8), new string[] { "named" }, "flaky.proxy.test:8080", null);
                WinHttpProbeResult[] results = new ProbeScheduler(fake, 16, 5000, 60000).Run(plan);
                Equal(8, fake.Calls, "every URL probed");
                int ok = 0;
                foreach (WinHttpProbeResult r in results)
                {
                    Equal<string>(null, r.Established, "nothing established for " + r.Url);
                    if (r.StatusCode == 200) ok++;
                }
                Equal(7, ok, "URLs through the proxy after the lost connection");
            });

            Run("per_url_failures_are_never_generalised", delegate
            {
                string[] proxies = { "deny.proxy.test:8080", "tls.proxy.test:8080" };
                foreach (string proxy in proxies)
                {
                    FakeTransport fake = new FakeTransport();
                    List<ProbeRequest> plan = ProbeScheduler.Plan(Urls(6), new string[] { "named" }, proxy, null);
                    WinHttpProbeResult[] results = new ProbeScheduler(fake, 16, 5000, 60000).Run(plan);
                    Equal(6, fake.Calls, proxy + ": every URL probed");
                    foreach (WinHttpProbeResult r in results) Equal<string>(null, r.Established, proxy + " " + r.Url);
                }
                // Direct failures belong to the destination: the disabled method is never grouped.
                FakeTransport direct = new FakeTransport();
                List<string> holes = new List<string>();
                for (int i = 0; i < 5; i++) holes.Add("https://hang.test/" + i);
                WinHttpProbeResult[] directResults = new ProbeScheduler(direct, 16, 100, 60000).Run(
                    ProbeScheduler.Plan(holes, new string[] { "disabled" }, null, null));
                Equal(5, direct.Calls, "every direct probe made");
                foreach (WinHttpProbeResult r in directResults) Check(r.Attempted && r.TimedOut, "direct " + r.Url);
            });

            Run("wpad_discovery_runs_once_and_its_failure_answers_method_2", delegate
            {
                FakeTransport fake = new FakeTransport();
                fake.DiscoverError = 12180;
                List<ProbeRequest> plan = ProbeScheduler.Plan(Urls(20), new string[] { "wpad", "disabled" }, null, null);
                ProbeScheduler scheduler = new ProbeScheduler(fake, 16, 5000, 60000);
                WinHttpProbeResult[] results = scheduler.Run(plan);
                Equal(1, fake.Discoveries, "discoveries");
                Equal(20, fake.Calls, "only the direct probes were made");
                Equal(12180, scheduler.Discovery.Error, "discovery error");
                foreach (WinHttpProbeResult r in results)
                {
                    if (r.Method != ProbeMethod.AutoDiscovery) continue;
                    Equal("wpad_failed", r.Established, "wpad " + r.Url);
                    Equal(12180, r.AutoDetectError, "autodetect error " + r.Url);
                    Equal(0, r.StatusCode, "no status for " + r.Url);
                }
            });

            Run("wpad_discovery_success_lets_every_method_2_probe_run", delegate
            {
                FakeTransport fake = new FakeTransport();
                List<ProbeRequest> plan = ProbeScheduler.Plan(Urls(5), new string[] { "wpad" }, null, null);
                ProbeScheduler scheduler = new ProbeScheduler(fake, 16, 5000, 60000);
                WinHttpProbeResult[] results = scheduler.Run(plan);
                Equal(1, fake.Discoveries, "discoveries");
                Equal(5, fake.Calls, "every URL probed");
                Equal("service", scheduler.Discovery.Attempt, "attempt");
                foreach (WinHttpProbeResult r in results) Equal(200, r.StatusCode, r.Url);
            });

            Run("an_exhaustive_run_makes_every_probe", delegate
            {
                FakeTransport fake = new FakeTransport();
                fake.DiscoverError = 12180;
                List<ProbeRequest> plan = ProbeScheduler.Plan(Urls(6), new string[] { "wpad", "named" }, "refuse.proxy.test:8080", null);
                ProbeScheduler scheduler = new ProbeScheduler(fake, 16, 5000, 60000);
                scheduler.EstablishAfter = 0;
                WinHttpProbeResult[] results = scheduler.Run(plan);
                Equal(12, fake.Calls, "every probe made");
                Equal(0, fake.Discoveries, "no run-level discovery");
                foreach (WinHttpProbeResult r in results) Equal<string>(null, r.Established, r.Method + " " + r.Url);
            });

            Run("deciding_probes_run_before_the_rest", delegate
            {
                FakeTransport fake = new FakeTransport();
                List<ProbeRequest> plan = ProbeScheduler.Plan(Urls(6), new string[] { "disabled", "named" }, "proxy.test:8080", null);
                new ProbeScheduler(fake, 1, 5000, 60000).Run(plan);
                Equal("NamedProxy https://u0.test/200", fake.Order[0], "first probe");
                Equal("NamedProxy https://u1.test/200", fake.Order[1], "second probe");
            });

            Console.WriteLine(failures == 0 ? "ALL PASSED" : failures + " FAILED");
            return failures == 0 ? 0 : 1;
        }
    }
}

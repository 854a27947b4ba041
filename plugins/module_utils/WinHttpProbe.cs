// Copyright: contributors to purview.device_proxy
// GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
//
// WinHTTP connectivity probes for purview.device_proxy.device_connectivity_probe.
//
// Each probe requests one service URL with one of the client analyzer's five methods (default
// proxy, auto discovery, proxy disabled, named proxy, command-line proxy) and reports raw facts
// only: HTTP status, WinHTTP error number, where it failed, elapsed time. The controller
// classifies them. The scheduler (bounded concurrency, per-probe time limit, run deadline) and
// the method planning are plain .NET; the native calls sit behind IProbeTransport so the logic
// is exercised under mono with a fake transport. C# 5 only (Windows PowerShell's Add-Type).

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Threading;

namespace ansible_collections.purview.device_proxy.plugins.module_utils.WinHttpProbe
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
        public string SkipReason;      // "not-configured" or "deadline" when not attempted
        public int StatusCode;         // 0 when no HTTP answer was read
        public int WinHttpError;       // 0 when none
        public string ErrorStage;      // url, open, autodetect, connect, send, receive, status, internal
        public string ErrorMessage;    // only for exceptions that are not WinHTTP errors
        public int AutoDetectError;    // WinHttpGetProxyForUrl's error for the auto-discovery method
        public string Proxy;           // the proxy asked for or discovered
        public string Access;          // how WinHTTP was configured: automatic, default, no-proxy, named, auto-detect
        public long ElapsedMs;
        public bool TimedOut;
        // Which WPAD attempt found a configuration: service, in-process or autologon (null: none).
        public string AutoDetectAttempt;
        // The server certificate chain, leaf first (null: no server certificate was seen).
        public List<Dictionary<string, object>> ServerChain;
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
        public const int AccessAutomaticProxy = 4;   // Windows 8.1 and later

        public int AccessType;
        public int FallbackAccessType = -1;   // tried when AccessType is refused (older Windows)
        public string ProxyName;
        public bool AutoDetect;

        public static SessionPlan For(ProbeMethod method, string proxy)
        {
            SessionPlan plan = new SessionPlan();
            switch (method)
            {
                case ProbeMethod.DefaultProxy:
                    plan.AccessType = AccessAutomaticProxy;
                    plan.FallbackAccessType = AccessDefaultProxy;
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
                case AccessAutomaticProxy: return "automatic";
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

    // Runs the plan. Work is ordered so the probes that decide a shared failure go first:
    //  * the run's WPAD discovery (once; method 2 probes wait for it, and when it finds nothing
    //    every method 2 result is that failure, without a request);
    //  * for the named and command-line methods, EstablishAfter probes on different URLs; the
    //    method's other probes wait for them. When every one of them found the proxy unreachable
    //    (no TCP connection, proxy name not resolved, or stuck connecting to it) the method's other
    //    URLs are reported failed for that established reason; otherwise they all run.
    // Nothing else is ever generalised: the default and disabled methods, and any failure that
    // names a URL (an HTTP answer, TLS), are per URL. EstablishAfter = 0 turns all of it off
    // (every probe made, discovery per probe): the exhaustive run the benchmark compares with.
    public sealed class ProbeScheduler
    {
        private readonly IProbeTransport transport;
        private readonly int maxConcurrency;
        private readonly int probeTimeoutMs;
        private readonly int deadlineMs;

        // How long a cancelled probe may take to return before it is abandoned (its thread is
        // left to finish in the background and its late result discarded).
        public int AbandonGraceMs = 1000;

        // Probes on different URLs that must all find a proxy unreachable before the method's
        // other URLs are reported so (two: one lost packet must not condemn a method).
        public int EstablishAfter = 2;

        public int PeakConcurrency { get; private set; }
        public bool DeadlineReached { get; private set; }
        public int Abandoned { get; private set; }
        public int ProbesMade { get; private set; }
        public WpadDiscovery Discovery { get; private set; }

        private const int DiscoveryJob = -2;
        private const int NoJob = -1;

        private readonly object sync = new object();
        private IList<ProbeRequest> requests;
        private WinHttpProbeResult[] results;
        private Slot[] slots;
        private Slot discoverySlot;
        private LinkedList<int> ready;
        private bool discoveryQueued;
        private int running;
        private int finished;
        private int workers;
        private Stopwatch clock;
        private readonly Dictionary<ProbeMethod, Group> groups = new Dictionary<ProbeMethod, Group>();

        private sealed class Slot
        {
            public long StartedMs;
            public int TimeoutMs;
            public ProbeCancellation Cancel;
            public bool Abandoned;
        }

        // The probes of one method that wait for a shared decision.
        private sealed class Group
        {
            public List<int> Deciders = new List<int>();
            public List<int> Held = new List<int>();
            public bool Decided;
        }

        public ProbeScheduler(IProbeTransport transport, int maxConcurrency, int probeTimeoutMs, int deadlineMs)
        {
            if (transport == null) throw new ArgumentNullException("transport");
            if (maxConcurrency < 1) throw new ArgumentOutOfRangeException("maxConcurrency", "must be at least 1");
            if (probeTimeoutMs < 1) throw new ArgumentOutOfRangeException("probeTimeoutMs", "must be at least 1");
            if (deadlineMs < 1) throw new ArgumentOutOfRangeException("deadlineMs", "must be at least 1");
            this.transport = transport;
            this.maxConcurrency = maxConcurrency;
            this.probeTimeoutMs = probeTimeoutMs;
            this.deadlineMs = deadlineMs;
        }

        // Requests for every URL and method, URL by URL. Named and command-line requests with
        // no proxy are kept: Run reports them as not configured without touching the network.
        public static List<ProbeRequest> Plan(IList<string> urls, IList<string> methods, string namedProxy, string commandLineProxy)
        {
            List<ProbeRequest> plan = new List<ProbeRequest>();
            foreach (string url in urls)
            {
                foreach (string name in methods)
                {
                    ProbeMethod method = ProbeMethods.Parse(name);
                    string proxy = null;
                    if (method == ProbeMethod.NamedProxy) proxy = namedProxy;
                    if (method == ProbeMethod.CommandLineProxy) proxy = commandLineProxy;
                    plan.Add(new ProbeRequest(url, method, String.IsNullOrEmpty(proxy) ? null : proxy));
                }
            }
            return plan;
        }

        // Whether a failure belongs to the method's proxy rather than to the URL: through a named
        // proxy WinHTTP connects to the proxy only (a destination problem comes back as the
        // proxy's HTTP answer), so no connection, an unresolvable proxy name, or a probe stuck
        // resolving or connecting means the proxy itself is unreachable.
        public static bool ProxyUnreachable(WinHttpProbeResult result)
        {
            if (result == null || !NeedsProxy(result.Method) || result.StatusCode != 0) return false;
            if (result.WinHttpError == WinHttpErrors.CannotConnect || result.WinHttpError == WinHttpErrors.NameNotResolved)
            {
                return true;
            }
            return result.TimedOut && (result.ErrorStage == "connect" || result.ErrorStage == "resolve");
        }

        // Results in request order. Returns by the deadline: probes still running then are
        // cancelled and reported as timed out, probes not started as skipped.
        public WinHttpProbeResult[] Run(IList<ProbeRequest> plan)
        {
            requests = plan;
            results = new WinHttpProbeResult[plan.Count];
            slots = new Slot[plan.Count];
            ready = new LinkedList<int>();
            clock = Stopwatch.StartNew();
            lock (sync)
            {
                List<int> later = new List<int>();
                string discoveryUrl = null;
                for (int i = 0; i < plan.Count; i++)
                {
                    ProbeMethod method = plan[i].Method;
                    if (NeedsProxy(method) && plan[i].Proxy == null)
                    {
                        results[i] = WinHttpProbeResult.Skipped(plan[i], "not-configured");
                        finished++;
                        continue;
                    }
                    if (EstablishAfter > 0 && method == ProbeMethod.AutoDiscovery)
                    {
                        if (discoveryUrl == null) discoveryUrl = plan[i].Url;
                        GroupOf(method).Held.Add(i);
                        continue;
                    }
                    if (EstablishAfter > 0 && NeedsProxy(method))
                    {
                        Group group = GroupOf(method);
                        if (group.Deciders.Count < EstablishAfter && !HasUrl(group.Deciders, plan[i].Url))
                        {
                            group.Deciders.Add(i);
                            ready.AddLast(i);   // deciding probes first
                        }
                        else
                        {
                            group.Held.Add(i);
                        }
                        continue;
                    }
                    later.Add(i);
                }
                foreach (KeyValuePair<ProbeMethod, Group> entry in groups)
                {
                    if (entry.Key != ProbeMethod.AutoDiscovery && entry.Value.Deciders.Count < EstablishAfter)
                    {
                        // Too few URLs to establish anything: every probe runs.
                        Release(entry.Value);
                    }
                }
                foreach (int i in later) ready.AddLast(i);
                if (discoveryUrl != null)
                {
                    discoveryQueued = true;
                    Discovery = null;
                    pendingDiscoveryUrl = discoveryUrl;
                }
                EnsureWorkers();
                Supervise();
            }
            return results;
        }

        private string pendingDiscoveryUrl;

        private Group GroupOf(ProbeMethod method)
        {
            Group group;
            if (!groups.TryGetValue(method, out group))
            {
                group = new Group();
                groups[method] = group;
            }
            return group;
        }

        private bool HasUrl(List<int> indices, string url)
        {
            foreach (int i in indices)
            {
                if (String.Equals(requests[i].Url, url, StringComparison.OrdinalIgnoreCase)) return true;
            }
            return false;
        }

        private static bool NeedsProxy(ProbeMethod method)
        {
            return method == ProbeMethod.NamedProxy || method == ProbeMethod.CommandLineProxy;
        }

        // Called with the lock held: as many workers as there is work, within the bound.
        private void EnsureWorkers()
        {
            int jobs = ready.Count + (discoveryQueued ? 1 : 0);
            int idle = workers - running;
            while (workers < maxConcurrency && jobs > idle)
            {
                workers++;
                idle++;
                Thread thread = new Thread(Work);
                thread.IsBackground = true;
                thread.Start();
            }
            Monitor.PulseAll(sync);
        }

        // Called with the lock held.
        private void Release(Group group)
        {
            group.Decided = true;
            foreach (int i in group.Held)
            {
                if (results[i] == null) ready.AddLast(i);
            }
            group.Held.Clear();
        }

        // Called with the lock held, after a probe of a grouped method finished.
        private void Decide(ProbeMethod method)
        {
            Group group;
            if (!groups.TryGetValue(method, out group) || group.Decided || method == ProbeMethod.AutoDiscovery) return;
            int unreachable = 0;
            foreach (int i in group.Deciders)
            {
                if (results[i] == null) return;   // not decided yet
                if (ProxyUnreachable(results[i])) unreachable++;
            }
            if (unreachable == group.Deciders.Count && unreachable >= EstablishAfter)
            {
                group.Decided = true;
                WinHttpProbeResult first = results[group.Deciders[0]];
                foreach (int i in group.Held)
                {
                    WinHttpProbeResult established = WinHttpProbeResult.Failed(requests[i], first.WinHttpError == 0 ? WinHttpErrors.Timeout : first.WinHttpError, first.ErrorStage);
                    established.Attempted = false;
                    established.TimedOut = first.TimedOut;
                    established.Established = "proxy_unreachable";
                    established.EstablishedOn = group.Deciders.Count;
                    results[i] = established;
                    finished++;
                }
                group.Held.Clear();
            }
            else
            {
                Release(group);
                EnsureWorkers();
            }
        }

        // Called with the lock held, when the run's discovery finished.
        private void DiscoveryDone(WpadDiscovery found)
        {
            Discovery = found;
            Group group = GroupOf(ProbeMethod.AutoDiscovery);
            if (found.Error == 0)
            {
                Release(group);
                EnsureWorkers();
                return;
            }
            group.Decided = true;
            foreach (int i in group.Held)
            {
                WinHttpProbeResult established = WinHttpProbeResult.Failed(requests[i], 0, "wpad");
                established.Attempted = false;
                established.AutoDetectError = found.Error;
                established.Access = "auto-detect";
                established.Established = "wpad_failed";
                established.EstablishedOn = 1;
                results[i] = established;
                finished++;
            }
            group.Held.Clear();
        }

        // Called with the lock held: wait for results, cancel late probes, enforce the deadline.
        private void Supervise()
        {
            while (finished < results.Length)
            {
                long now = clock.ElapsedMilliseconds;
                if (now >= deadlineMs)
                {
                    StopAtDeadline();
                    return;
                }
                long wake = deadlineMs;
                if (discoverySlot != null && Discovery == null)
                {
                    wake = Math.Min(wake, Watch(discoverySlot, now, -1));
                }
                for (int i = 0; i < slots.Length; i++)
                {
                    Slot slot = slots[i];
                    if (slot == null || results[i] != null) continue;
                    wake = Math.Min(wake, Watch(slot, now, i));
                }
                if (finished >= results.Length) break;
                int wait = (int)Math.Max(1, Math.Min(wake - clock.ElapsedMilliseconds, 1000));
                Monitor.Wait(sync, wait);
            }
        }

        // Called with the lock held: cancel or abandon one late job; returns when to look again.
        private long Watch(Slot slot, long now, int index)
        {
            long cancelAt = slot.StartedMs + slot.TimeoutMs;
            long abandonAt = cancelAt + AbandonGraceMs;
            if (now >= abandonAt)
            {
                Abandon(index, slot, slot.Cancel.Stage ?? "unknown");
                return long.MaxValue;
            }
            if (now >= cancelAt)
            {
                CancelOutsideLock(slot.Cancel);
                return abandonAt;
            }
            return cancelAt;
        }

        private void CancelOutsideLock(ProbeCancellation cancel)
        {
            // The transport's abort may take a moment; do not hold the lock meanwhile.
            Monitor.Exit(sync);
            try
            {
                cancel.Cancel();
            }
            finally
            {
                Monitor.Enter(sync);
            }
        }

        private void Abandon(int index, Slot slot, string stage)
        {
            slot.Abandoned = true;
            running--;
            workers--;
            Abandoned++;
            if (index == -1)
            {
                WpadDiscovery lost = new WpadDiscovery();
                lost.Error = WinHttpErrors.Timeout;
                lost.TimedOut = true;
                lost.ElapsedMs = clock.ElapsedMilliseconds - slot.StartedMs;
                DiscoveryDone(lost);
            }
            else
            {
                WinHttpProbeResult result = WinHttpProbeResult.Failed(requests[index], WinHttpErrors.Timeout, stage);
                result.TimedOut = true;
                result.ElapsedMs = clock.ElapsedMilliseconds - slot.StartedMs;
                results[index] = result;
                finished++;
                Decide(requests[index].Method);
            }
            // The stuck thread keeps its probe; a new worker keeps the bound filled.
            EnsureWorkers();
        }

        private void StopAtDeadline()
        {
            DeadlineReached = true;
            List<ProbeCancellation> toCancel = new List<ProbeCancellation>();
            long now = clock.ElapsedMilliseconds;
            if (discoverySlot != null && Discovery == null)
            {
                discoverySlot.Abandoned = true;
                toCancel.Add(discoverySlot.Cancel);
            }
            for (int i = 0; i < results.Length; i++)
            {
                if (results[i] != null) continue;
                if (slots[i] != null)
                {
                    WinHttpProbeResult late = WinHttpProbeResult.Failed(requests[i], WinHttpErrors.OperationCancelled, "deadline");
                    late.TimedOut = true;
                    late.ElapsedMs = now - slots[i].StartedMs;
                    results[i] = late;
                    slots[i].Abandoned = true;
                    toCancel.Add(slots[i].Cancel);
                }
                else
                {
                    results[i] = WinHttpProbeResult.Skipped(requests[i], "deadline");
                }
                finished++;
            }
            ready.Clear();
            discoveryQueued = false;
            foreach (ProbeCancellation cancel in toCancel)
            {
                CancelOutsideLock(cancel);
            }
        }

        // Called with the lock held: the next job, waiting while only held work remains.
        private int NextJob()
        {
            while (true)
            {
                if (discoveryQueued)
                {
                    discoveryQueued = false;
                    return DiscoveryJob;
                }
                while (ready.Count > 0)
                {
                    int index = ready.First.Value;
                    ready.RemoveFirst();
                    if (results[index] == null && slots[index] == null) return index;
                }
                return NoJob;
            }
        }

        private Slot NewSlot()
        {
            Slot slot = new Slot();
            long now = clock.ElapsedMilliseconds;
            slot.StartedMs = now;
            slot.TimeoutMs = (int)Math.Max(1, Math.Min(probeTimeoutMs, deadlineMs - now));
            slot.Cancel = new ProbeCancellation();
            running++;
            if (running > PeakConcurrency) PeakConcurrency = running;
            return slot;
        }

        private void Work()
        {
            while (true)
            {
                int index;
                Slot slot;
                lock (sync)
                {
                    index = NextJob();
                    if (index == NoJob)
                    {
                        workers--;
                        return;
                    }
                    slot = NewSlot();
                    if (index == DiscoveryJob) discoverySlot = slot;
                    else slots[index] = slot;
                }
                if (index == DiscoveryJob)
                {
                    WpadDiscovery found = RunDiscovery(slot);
                    lock (sync)
                    {
                        if (slot.Abandoned) return;
                        running--;
                        found.ElapsedMs = clock.ElapsedMilliseconds - slot.StartedMs;
                        DiscoveryDone(found);
                        Monitor.PulseAll(sync);
                    }
                    continue;
                }
                WinHttpProbeResult result = RunOne(requests[index], slot);
                lock (sync)
                {
                    if (slot.Abandoned)
                    {
                        // Replaced by another worker (or the run is over): stop here.
                        return;
                    }
                    result.ElapsedMs = clock.ElapsedMilliseconds - slot.StartedMs;
                    results[index] = result;
                    finished++;
                    running--;
                    ProbesMade++;
                    Decide(requests[index].Method);
                    Monitor.PulseAll(sync);
                }
            }
        }

        private WpadDiscovery RunDiscovery(Slot slot)
        {
            WpadDiscovery found;
            try
            {
                found = transport.Discover(pendingDiscoveryUrl, slot.TimeoutMs, slot.Cancel) ?? new WpadDiscovery();
            }
            catch (Exception)
            {
                found = new WpadDiscovery();
                found.Error = WinHttpErrors.InternalError;
            }
            if (slot.Cancel.IsCancelled && found.Error == 0 && found.Attempt == null)
            {
                found.Error = WinHttpErrors.Timeout;
            }
            if (found.Error == WinHttpErrors.Timeout || found.Error == WinHttpErrors.OperationCancelled)
            {
                found.TimedOut = true;
            }
            return found;
        }

        private WinHttpProbeResult RunOne(ProbeRequest request, Slot slot)
        {
            WinHttpProbeResult result;
            try
            {
                result = transport.Execute(request, slot.TimeoutMs, slot.Cancel);
                if (result == null)
                {
                    result = WinHttpProbeResult.Failed(request, 0, "internal");
                    result.ErrorMessage = "the transport returned no result";
                }
            }
            catch (Exception e)
            {
                result = WinHttpProbeResult.Failed(request, 0, "internal");
                result.ErrorMessage = e.GetType().Name + ": " + e.Message;
            }
            result.Attempted = true;
            if (slot.Cancel.IsCancelled && result.StatusCode == 0)
            {
                result.TimedOut = true;
            }
            if (result.WinHttpError == WinHttpErrors.Timeout)
            {
                result.TimedOut = true;
            }
            if (result.TimedOut && slot.Cancel.Stage != null)
            {
                // Where it was when the time ran out, rather than which call failed.
                result.ErrorStage = slot.Cancel.Stage;
            }
            return result;
        }
    }

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
            cancel.Register(handles.CancelRequest);
            try
            {
                Probe(plan, target, request.Url, timeoutMs, handles, result, cancel);
            }
            finally
            {
                handles.Close();
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
            WinHttpProbeResult result, ProbeCancellation cancel)
        {
            if (!Open(plan, handles, result)) return;
            StageTracker.Watch(handles.Session, cancel, target.Secure);
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
            }
            cancel.Stage = "resolve";
            if (!NativeMethods.WinHttpSendRequest(handles.Request, IntPtr.Zero, 0, IntPtr.Zero, 0, 0, IntPtr.Zero))
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
            result.ProxyHeaders = ProxyHeaders(handles.Request);
            if (target.Secure)
            {
                result.ServerChain = ServerChain(handles.Request);
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

        private static string CustomHeader(IntPtr request, string name)
        {
            StringBuilder buffer = new StringBuilder(name, 2048);
            int size = buffer.Capacity * 2;
            if (!NativeMethods.WinHttpQueryHeaders(request, NativeMethods.WINHTTP_QUERY_CUSTOM, IntPtr.Zero, buffer, ref size, IntPtr.Zero))
            {
                return null;
            }
            return buffer.ToString();
        }

        // The certificate the server presented in this request's TLS handshake and the chain
        // Windows builds for it (revocation not checked here: WinHTTP already did what it does).
        // Null when no certificate was seen: then the answer came from a proxy refusing CONNECT.
        private static List<Dictionary<string, object>> ServerChain(IntPtr request)
        {
            IntPtr context = IntPtr.Zero;
            int size = IntPtr.Size;
            if (!NativeMethods.WinHttpQueryOption(request, NativeMethods.WINHTTP_OPTION_SERVER_CERT_CONTEXT, ref context, ref size)
                || context == IntPtr.Zero)
            {
                return null;
            }
            try
            {
                X509Certificate2 leaf = new X509Certificate2(context);
                X509Chain chain = new X509Chain();
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                chain.ChainPolicy.VerificationFlags = X509VerificationFlags.AllFlags;
                chain.Build(leaf);
                List<Dictionary<string, object>> elements = new List<Dictionary<string, object>>();
                foreach (X509ChainElement element in chain.ChainElements)
                {
                    elements.Add(CertificateFacts(element.Certificate));
                }
                if (elements.Count == 0) elements.Add(CertificateFacts(leaf));
                return elements;
            }
            finally
            {
                NativeMethods.CertFreeCertificateContext(context);
            }
        }

        public static Dictionary<string, object> CertificateFacts(X509Certificate2 certificate)
        {
            Dictionary<string, object> facts = new Dictionary<string, object>();
            facts["thumbprint"] = certificate.Thumbprint.ToLowerInvariant();
            facts["subject"] = certificate.Subject;
            facts["issuer"] = certificate.Issuer;
            return facts;
        }

        private bool Open(SessionPlan plan, ProbeHandles handles, WinHttpProbeResult result)
        {
            handles.Session = NativeMethods.WinHttpOpen(UserAgent, plan.AccessType, plan.ProxyName, null, 0);
            int accessType = plan.AccessType;
            if (handles.Session == IntPtr.Zero && plan.FallbackAccessType >= 0
                && Marshal.GetLastWin32Error() == WinHttpErrors.InvalidParameter)
            {
                // Before Windows 8.1 there is no automatic mode: use the default configuration.
                accessType = plan.FallbackAccessType;
                handles.Session = NativeMethods.WinHttpOpen(UserAgent, accessType, null, null, 0);
            }
            result.Access = plan.AutoDetect ? "auto-detect" : SessionPlan.AccessName(accessType);
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
                if (handles.Request != IntPtr.Zero)
                {
                    NativeMethods.WinHttpSetOption(handles.Request, NativeMethods.WINHTTP_OPTION_PROXY, ref info,
                        Marshal.SizeOf(typeof(NativeMethods.WINHTTP_PROXY_INFO)));
                }
            }
            finally
            {
                if (info.lpszProxy != IntPtr.Zero) NativeMethods.GlobalFree(info.lpszProxy);
                if (info.lpszProxyBypass != IntPtr.Zero) NativeMethods.GlobalFree(info.lpszProxyBypass);
            }
            return 0;
        }

        private static void Fail(WinHttpProbeResult result, string stage, ProbeHandles handles)
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
    // so an abandoned probe can say where it was stuck.
    internal static class StageTracker
    {
        private static readonly object sync = new object();
        private static readonly Dictionary<IntPtr, KeyValuePair<ProbeCancellation, bool>> watched =
            new Dictionary<IntPtr, KeyValuePair<ProbeCancellation, bool>>();
        // Kept in a static field so the delegate outlives every native call that may use it.
        private static readonly NativeMethods.StatusCallback callback = OnStatus;

        public static void Watch(IntPtr session, ProbeCancellation cancel, bool secure)
        {
            lock (sync) { watched[session] = new KeyValuePair<ProbeCancellation, bool>(cancel, secure); }
            NativeMethods.WinHttpSetStatusCallback(session, callback, NativeMethods.WINHTTP_CALLBACK_FLAG_STAGES, IntPtr.Zero);
        }

        private static void OnStatus(IntPtr handle, IntPtr context, int status, IntPtr info, int length)
        {
            // Request notifications carry the request handle; find the session via WinHTTP's parent.
            KeyValuePair<ProbeCancellation, bool> entry;
            IntPtr session = NativeMethods.ParentSession(handle);
            lock (sync)
            {
                if (status == NativeMethods.WINHTTP_CALLBACK_STATUS_HANDLE_CLOSING)
                {
                    watched.Remove(handle);
                    return;
                }
                if (!watched.TryGetValue(session, out entry) && !watched.TryGetValue(handle, out entry)) return;
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

    internal static class NativeMethods
    {
        public const int WINHTTP_QUERY_CUSTOM = 65535;
        public const int WINHTTP_OPTION_PARENT_HANDLE = 21;
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

        [DllImport("winhttp.dll", SetLastError = true, CharSet = CharSet.Unicode, EntryPoint = "WinHttpQueryHeaders")]
        [return: MarshalAs(UnmanagedType.Bool)]
        public static extern bool WinHttpQueryHeaders(IntPtr request, int infoLevel, IntPtr name, StringBuilder buffer,
            ref int bufferLength, IntPtr index);

        [DllImport("crypt32.dll", SetLastError = true)]
        [return: MarshalAs(UnmanagedType.Bool)]
        public static extern bool CertFreeCertificateContext(IntPtr context);

        // The session a request (or connection) handle belongs to.
        public static IntPtr ParentSession(IntPtr handle)
        {
            IntPtr current = handle;
            for (int depth = 0; depth < 2; depth++)
            {
                IntPtr parent = IntPtr.Zero;
                int size = IntPtr.Size;
                if (!WinHttpQueryOption(current, WINHTTP_OPTION_PARENT_HANDLE, ref parent, ref size) || parent == IntPtr.Zero)
                {
                    return current;
                }
                current = parent;
            }
            return current;
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
            public int dwAccessType;
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

        [DllImport("kernel32.dll")]
        public static extern IntPtr GlobalFree(IntPtr memory);
    }
}

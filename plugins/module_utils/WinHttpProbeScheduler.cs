// Copyright: contributors to purview.device_proxy
// GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
//
// Runs a plan of probes through an IProbeTransport: bounded concurrency, a per-probe time
// limit, the run deadline, and the shared failures (the run's one WPAD discovery, a proxy
// established unreachable). Plain .NET, exercised under mono with simulated transports.

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;
using ansible_collections.purview.device_proxy.plugins.module_utils.WinHttpProbeModel;

namespace ansible_collections.purview.device_proxy.plugins.module_utils.WinHttpProbeScheduler
{
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
            if (result == null || !ProbeMethods.NeedsProxy(result.Method) || result.StatusCode != 0) return false;
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
                    if (ProbeMethods.NeedsProxy(method) && plan[i].Proxy == null)
                    {
                        results[i] = WinHttpProbeResult.Skipped(plan[i], ProbeReasons.NotConfigured);
                        finished++;
                        continue;
                    }
                    if (EstablishAfter > 0 && method == ProbeMethod.AutoDiscovery)
                    {
                        if (discoveryUrl == null) discoveryUrl = plan[i].Url;
                        GroupOf(method).Held.Add(i);
                        continue;
                    }
                    if (EstablishAfter > 0 && ProbeMethods.NeedsProxy(method))
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
                    established.Established = ProbeReasons.ProxyUnreachable;
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
                established.Established = ProbeReasons.WpadFailed;
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
                    results[i] = WinHttpProbeResult.Skipped(requests[i], ProbeReasons.Deadline);
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
}

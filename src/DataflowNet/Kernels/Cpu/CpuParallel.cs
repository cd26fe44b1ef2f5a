namespace DataflowNet.Kernels.Cpu;

/// <summary>A piece of work split by index range across the cores.</summary>
internal interface IRangeWork
{
    void Run(int start, int end);
}

/// <summary>
/// Splits work across the machine's cores with persistent worker threads: no allocation per call (Parallel.For
/// allocates its closures and task state), and a worker wakes in microseconds. One job at a time; a call that finds
/// the workers busy (another session thread, or a part of the running job) runs its work inline, so nothing waits on
/// anything but its own work.
/// After a job a worker polls for the next one for a short while before it blocks: a training step hands the cores
/// one product after another a few microseconds apart, and a blocked thread takes tens of microseconds to wake.
/// </summary>
internal static class CpuParallel
{
    private static readonly int Workers = Math.Max(1, Environment.ProcessorCount);
    private static readonly SemaphoreSlim[] Wake;
    /// <summary>1 while a job has the workers. Not a Monitor, which a thread re-enters: a part that splits its work
    /// again must find the workers taken, even on the thread that took them, and run that work inline.</summary>
    private static int _taken;
    private static IRangeWork? _job;
    private static int _count, _pending;
    private static ManualResetEventSlim? _done;
    private static Exception? _error;

    /// <summary>How long a worker polls for the next job before blocking (a few products' worth of gaps between them).</summary>
    private static readonly long SpinTicks = System.Diagnostics.Stopwatch.Frequency / 5000; // 200 µs

    static CpuParallel()
    {
        Wake = new SemaphoreSlim[Workers - 1];
        _done = new ManualResetEventSlim(false, spinCount: 2000);
        for (int w = 0; w < Workers - 1; w++)
        {
            Wake[w] = new SemaphoreSlim(0);
            int worker = w + 1;
            new Thread(() => Loop(worker)) { IsBackground = true, Name = $"DataflowNet CPU worker {worker}" }.Start();
        }
    }

    public static int Degree => Workers;

    /// <summary>
    /// Whether the workers are running a job now: a <see cref="For"/> call would run its whole range on the calling
    /// thread. Work that would split itself differently for one core (a product packs an operand per part) asks first.
    /// </summary>
    public static bool Busy => Volatile.Read(ref _taken) != 0;

    /// <summary>Runs work.Run over [0, count) split into one contiguous part per core; returns when all parts are done.</summary>
    public static void For<TWork>(int count, TWork work) where TWork : class, IRangeWork
    {
        if (Workers == 1 || count < 2 || Interlocked.CompareExchange(ref _taken, 1, 0) != 0) { work.Run(0, count); return; }
        try
        {
            _job = work;
            _count = count;
            _pending = Workers - 1;
            _done!.Reset();
            foreach (var w in Wake) w.Release();
            var (s, e) = Part(0, count);
            // The workers' parts still run when this one throws: the job is over only when they are done.
            Exception? workerError;
            try { work.Run(s, e); }
            finally
            {
                _done.Wait();
                _job = null;
                workerError = Interlocked.Exchange(ref _error, null); // cleared also when this part threw, or the next job would report it
            }
            if (workerError is not null) throw new AggregateException(workerError);
        }
        finally { Volatile.Write(ref _taken, 0); }
    }

    private static (int, int) Part(int worker, int count)
    {
        long start = (long)count * worker / Workers, end = (long)count * (worker + 1) / Workers;
        return ((int)start, (int)end);
    }

    /// <summary>Takes one wake-up: polled (no system call) while a job came recently, else blocking.</summary>
    private static void WaitForJob(SemaphoreSlim wake)
    {
        long until = System.Diagnostics.Stopwatch.GetTimestamp() + SpinTicks;
        while (System.Diagnostics.Stopwatch.GetTimestamp() < until)
        {
            // CurrentCount is a plain read; Wait(0) then takes the release without blocking.
            if (wake.CurrentCount > 0 && wake.Wait(0)) return;
            Thread.SpinWait(16);
        }
        wake.Wait();
    }

    private static void Loop(int worker)
    {
        var wake = Wake[worker - 1];
        while (true)
        {
            WaitForJob(wake);
            var (s, e) = Part(worker, _count);
            try { if (s < e) _job!.Run(s, e); }
            catch (Exception ex) { _error = ex; }
            finally { if (Interlocked.Decrement(ref _pending) == 0) _done!.Set(); }
        }
    }
}

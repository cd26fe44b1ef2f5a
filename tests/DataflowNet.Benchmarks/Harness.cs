using System.Diagnostics;

namespace DataflowNet.Benchmarks;

/// <summary>One side of a workload, set up and ready: <see cref="Step"/> does one unit of work (one run, one step).</summary>
public interface IBench : IDisposable
{
    void Step();
}

public sealed class ActionBench(Action step, Action? dispose = null) : IBench
{
    public void Step() => step();
    public void Dispose() => dispose?.Invoke();
}

/// <summary>
/// A timed workload: both sides are set up, warmed up, then timed alternately (the order swapped every repetition).
/// <paramref name="Figure"/> turns seconds per <see cref="IBench.Step"/> into the reported figure.
/// </summary>
public sealed record Workload(
    string Group, string Label, string Unit, bool HigherIsBetter,
    Func<double, double> Figure, Func<IBench> DataflowNet, Func<IBench> Peer);

public sealed record Options(int Reps, double RepSeconds, double WarmupSeconds, int MemorySteps, bool Verbose);

/// <summary>The reported figure of one side: median and median absolute deviation of the repetitions.</summary>
public sealed record Stat(double Median, double Mad, double Min, double Max, int Count, int StepsPerRep)
{
    public static Stat Of(IReadOnlyList<double> values, int stepsPerRep)
    {
        var sorted = values.Order().ToArray();
        double median = MedianOf(sorted);
        var deviations = sorted.Select(v => Math.Abs(v - median)).Order().ToArray();
        return new Stat(median, MedianOf(deviations), sorted[0], sorted[^1], sorted.Length, stepsPerRep);
    }

    private static double MedianOf(double[] s) => s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
}

public sealed record Row(string Label, string DataflowNet, string Peer, string Ratio, string? Note = null);

public static class Harness
{
    public static (Stat Dfn, Stat Peer) Run(Workload w, Options o, TextWriter log)
    {
        log.WriteLine($"  {w.Label}: setting up");
        using var dfn = w.DataflowNet();
        using var peer = w.Peer();
        int dfnSteps = Warmup(dfn, o.WarmupSeconds, o.RepSeconds, out double dfnEstimate);
        int peerSteps = Warmup(peer, o.WarmupSeconds, o.RepSeconds, out double peerEstimate);
        if (o.Verbose)
            log.WriteLine($"    warm: DataflowNet {dfnEstimate * 1e3:F3} ms/step × {dfnSteps}, peer {peerEstimate * 1e3:F3} ms/step × {peerSteps} per repetition");
        var dfnFigures = new List<double>();
        var peerFigures = new List<double>();
        for (int r = 0; r < o.Reps; r++)
        {
            // Alternate, and swap the order every repetition so neither side always runs right after the other.
            if (r % 2 == 0)
            {
                dfnFigures.Add(w.Figure(Time(dfn, dfnSteps)));
                peerFigures.Add(w.Figure(Time(peer, peerSteps)));
            }
            else
            {
                peerFigures.Add(w.Figure(Time(peer, peerSteps)));
                dfnFigures.Add(w.Figure(Time(dfn, dfnSteps)));
            }
            if (o.Verbose) log.WriteLine($"    rep {r + 1}: DataflowNet {Format(dfnFigures[^1])}, peer {Format(peerFigures[^1])}");
        }
        return (Stat.Of(dfnFigures, dfnSteps), Stat.Of(peerFigures, peerSteps));
    }

    /// <summary>
    /// Runs steps for at least <paramref name="seconds"/> and at least 5 steps (the first steps of either side are slow:
    /// JIT tiers, libtorch paging in its kernels), then returns how many steps make one repetition.
    /// </summary>
    private static int Warmup(IBench bench, double seconds, double repSeconds, out double perStep)
    {
        var clock = Stopwatch.StartNew();
        int n = 0;
        double last = double.MaxValue;
        while (n < 5 || clock.Elapsed.TotalSeconds < seconds)
        {
            var t = Stopwatch.GetTimestamp();
            bench.Step();
            last = Math.Min(last, Stopwatch.GetElapsedTime(t).TotalSeconds);
            n++;
        }
        // The fastest warm-up step, measured over a short timed batch so that tiny steps are not dominated by the clock.
        int probe = (int)Math.Clamp(0.05 / Math.Max(last, 1e-9), 1, 100_000);
        perStep = Time(bench, probe);
        return (int)Math.Clamp(Math.Round(repSeconds / perStep), 1, 10_000_000);
    }

    /// <summary>Seconds per step over <paramref name="steps"/> steps, after a full collection so garbage from before is not billed.</summary>
    private static double Time(IBench bench, int steps)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        var start = Stopwatch.GetTimestamp();
        for (int i = 0; i < steps; i++) bench.Step();
        return Stopwatch.GetElapsedTime(start).TotalSeconds / steps;
    }

    /// <summary>Three or so significant figures: 1234, 45.1, 3.82, 0.283.</summary>
    public static string Format(double v) => v.ToString(FormatOf(v));

    /// <summary>Median ± spread, the spread with the median's decimals.</summary>
    public static string FormatPair(Stat s) => $"{Format(s.Median)} ± {s.Mad.ToString(FormatOf(s.Median))}";

    private static string FormatOf(double v) => Math.Abs(v) switch
    {
        >= 1000 => "F0",
        >= 10 => "F1",
        >= 1 => "F2",
        >= 0.1 => "F3",
        _ => "G3",
    };

    public static string Ratio(double r) => r >= 10 ? $"{r:F1}x" : $"{r:F2}x";
}

using System.Diagnostics;
using System.Globalization;

namespace DataflowNet.Benchmarks;

/// <summary>
/// Allocation and peak memory of the MLP training step. Each side runs in a child process of its own (this program,
/// started again with --child), so one side's peak is not the other's and the figures are the step's process alone.
/// </summary>
public static class MemoryProbe
{
    public const string ChildFlag = "--child";

    public sealed record Result(double ThreadBytesPerStep, double AllBytesPerStep, double PeakBytes, double StartBytes, double Gen0PerStep, int Steps);

    /// <summary>Runs in the child: warm up, then <paramref name="steps"/> MLP steps, then prints one RESULT line.</summary>
    public static int RunChild(string side, int steps, int threads)
    {
        double startRss = Status("VmRSS");
        IBench bench;
        using var data = new MlpData(DataflowNetWorkloads.Mlp.Batch, DataflowNetWorkloads.Mlp.Inputs, DataflowNetWorkloads.Mlp.Classes);
        if (side == "dataflownet")
            bench = new DataflowNetWorkloads.Mlp(data);
        else
        {
            TorchWorkloads.Initialise(threads);
            startRss = TorchLoadedRss();
            bench = new TorchWorkloads.Mlp(data);
        }
        using (bench)
        {
            int warm = Math.Max(10, steps / 5);
            for (int i = 0; i < warm; i++) bench.Step();
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            long thread0 = GC.GetAllocatedBytesForCurrentThread();
            long all0 = GC.GetTotalAllocatedBytes(precise: true);
            int gen0 = GC.CollectionCount(0);
            for (int i = 0; i < steps; i++) bench.Step();
            long thread1 = GC.GetAllocatedBytesForCurrentThread();
            long all1 = GC.GetTotalAllocatedBytes(precise: true);
            int gen1 = GC.CollectionCount(0);
            double peak = Status("VmHWM");
            Console.WriteLine(FormattableString.Invariant(
                $"RESULT {(double)(thread1 - thread0) / steps} {(double)(all1 - all0) / steps} {peak} {startRss} {(double)(gen1 - gen0) / steps} {steps}"));
        }
        return 0;
    }

    // A separate method so that the child of the DataflowNet side never touches (and loads) TorchSharp.
    private static double TorchLoadedRss()
    {
        using (TorchSharp.torch.ones(1)) { }
        return Status("VmRSS");
    }

    /// <summary>Starts this program again as a child for one side and reads its RESULT line.</summary>
    public static Result Launch(string side, int steps, int threads, TextWriter log)
    {
        var self = Environment.ProcessPath ?? throw new InvalidOperationException("Cannot tell this program's path.");
        var psi = new ProcessStartInfo(self) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        // Under `dotnet bench.dll` the process is dotnet itself: pass the assembly again.
        if (Path.GetFileNameWithoutExtension(self).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
            psi.ArgumentList.Add(typeof(MemoryProbe).Assembly.Location);
        foreach (var a in new[] { ChildFlag, side, "--memory-steps", steps.ToString(CultureInfo.InvariantCulture), "--threads", threads.ToString(CultureInfo.InvariantCulture) })
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"Cannot start {self}.");
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        var line = stdout.Split('\n').FirstOrDefault(l => l.StartsWith("RESULT ", StringComparison.Ordinal));
        if (p.ExitCode != 0 || line is null)
        {
            log.WriteLine(stdout);
            log.WriteLine(stderr.Result);
            throw new InvalidOperationException($"The {side} memory probe failed (exit code {p.ExitCode}).");
        }
        var f = line["RESULT ".Length..].Split(' ').Select(s => double.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        return new Result(f[0], f[1], f[2], f[3], f[4], (int)f[5]);
    }

    /// <summary>A size from /proc/self/status in bytes (VmRSS: resident now, VmHWM: peak resident set), or the Process figure elsewhere.</summary>
    private static double Status(string key)
    {
        const string path = "/proc/self/status";
        if (File.Exists(path))
            foreach (var l in File.ReadLines(path))
                if (l.StartsWith(key + ":", StringComparison.Ordinal))
                    return double.Parse(l[(key.Length + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
        var p = Process.GetCurrentProcess();
        return key == "VmHWM" ? p.PeakWorkingSet64 : p.WorkingSet64;
    }
}

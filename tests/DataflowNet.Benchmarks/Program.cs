// DataflowNet's benchmark: each workload for DataflowNet and for a peer (TorchSharp, i.e. libtorch's CPU kernels) in
// the same run, alternating, warm-up first, median of the repetitions. README.md beside this file says how to run it.
using System.Globalization;
using System.Runtime;
using System.Runtime.InteropServices;
using System.Text;
using DataflowNet.Benchmarks;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;

string[] groups = ["matmul", "mlp", "cnn", "adds", "relu", "memory"];
var selected = new List<string>();
int reps = 7, memorySteps = 200, threads = Environment.ProcessorCount;
double repSeconds = 1.0, warmupSeconds = 1.0;
int[] sizes = [512, 1024, 2048];
string? markdown = null, child = null;
bool verbose = false;

for (int i = 0; i < args.Length; i++)
{
    string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
    switch (args[i])
    {
        case "--reps": reps = int.Parse(Next()); break;
        case "--rep-seconds": repSeconds = double.Parse(Next()); break;
        case "--warmup-seconds": warmupSeconds = double.Parse(Next()); break;
        case "--memory-steps": memorySteps = int.Parse(Next()); break;
        case "--matmul-sizes": sizes = Next().Split(',').Select(int.Parse).ToArray(); break;
        case "--threads": threads = int.Parse(Next()); break;
        case "--markdown": markdown = Next(); break;
        case "--verbose": verbose = true; break;
        case MemoryProbe.ChildFlag: child = Next(); break;
        case "-h" or "--help": Usage(); return 0;
        default:
            if (!groups.Contains(args[i])) { Console.Error.WriteLine($"Unknown workload or option '{args[i]}'."); Usage(); return 2; }
            selected.Add(args[i]);
            break;
    }
}
if (child is not null) return MemoryProbe.RunChild(child, memorySteps, threads);
if (selected.Count == 0) selected.AddRange(groups);
if (reps < 1) { Console.Error.WriteLine("--reps must be at least 1."); return 2; }

void Usage() => Console.WriteLine($"""
    DataflowNet benchmark: each workload for DataflowNet and TorchSharp, alternating, median of the repetitions.
    Usage: dotnet run -c Release --project tests/DataflowNet.Benchmarks -- [workload...] [options]
      workloads (default: all): {string.Join(", ", groups)}
      --reps N              timed repetitions per side and workload (default 7; use at least 5 for figures you publish)
      --rep-seconds S       length of one repetition (default 1.0); a repetition is a whole number of steps, at least 1
      --warmup-seconds S    warm-up per side before timing (default 1.0)
      --matmul-sizes LIST   matmul sizes (default 512,1024,2048)
      --memory-steps N      MLP steps measured for the memory rows (default 200)
      --threads N           libtorch intra-op threads (default: the machine's cores, {Environment.ProcessorCount})
      --markdown PATH       also write the table as Markdown to PATH
      --verbose             print every repetition
    """);

var log = Console.Error;
var options = new Options(reps, repSeconds, warmupSeconds, memorySteps, verbose);
const int reluElements = 16 << 20, chainOps = 1000;
MlpData? mlpData = null;
MlpData Data() => mlpData ??= new MlpData(DataflowNetWorkloads.Mlp.Batch, DataflowNetWorkloads.Mlp.Inputs, DataflowNetWorkloads.Mlp.Classes);

// The timed workloads, in the order of the table.
var workloads = new List<Workload>();
foreach (var n in sizes)
    workloads.Add(new("matmul", $"matmul n={n} (GFLOP/s)", "GFLOP/s", true, s => 2.0 * n * n * n / s / 1e9,
        () => DataflowNetWorkloads.MatMul(n), () => TorchWorkloads.MatMul(n)));
workloads.Add(new("mlp", "MLP 784-512-512-10 SGD step, batch 128 (steps/s)", "steps/s", true, s => 1 / s,
    () => new DataflowNetWorkloads.Mlp(Data()), () => new TorchWorkloads.Mlp(Data())));
MlpData? cnnData = null;
MlpData CnnData() => cnnData ??= new MlpData(DataflowNetWorkloads.Cnn.Batch, DataflowNetWorkloads.Cnn.Pixels, DataflowNetWorkloads.Cnn.Classes);
workloads.Add(new("cnn", "CNN (Deep MNIST) SGD step, batch 64 (steps/s)", "steps/s", true, s => 1 / s,
    () => new DataflowNetWorkloads.Cnn(CnnData()), () => new TorchWorkloads.Cnn(CnnData())));
workloads.Add(new("adds", "chain of 1,000 tiny adds (µs/op)", "µs/op", false, s => s / chainOps * 1e6,
    () => DataflowNetWorkloads.AddChain(chainOps), () => TorchWorkloads.AddChain(chainOps)));
workloads.Add(new("relu", "relu(x*w+b) 16M floats, preallocated (GB/s)", "GB/s", true, s => 16.0 * reluElements / s / 1e9,
    () => DataflowNetWorkloads.ReluAffine(reluElements), () => TorchWorkloads.ReluAffine(reluElements)));

TorchWorkloads.Initialise(threads);
var machine = Machine.Describe(threads);
log.WriteLine(machine);
log.WriteLine($"{reps} repetitions of about {repSeconds:0.##} s per side and workload, after {warmupSeconds:0.##} s of warm-up per side.");

var rows = new List<Row>();
foreach (var w in workloads.Where(w => selected.Contains(w.Group)))
{
    var (dfn, peer) = Harness.Run(w, options, log);
    double ratio = w.HigherIsBetter ? dfn.Median / peer.Median : peer.Median / dfn.Median;
    rows.Add(new Row(w.Label, Harness.FormatPair(dfn), Harness.FormatPair(peer), Harness.Ratio(ratio),
        $"steps per repetition: DataflowNet {dfn.StepsPerRep}, TorchSharp {peer.StepsPerRep}"));
    log.WriteLine($"  {w.Label}: DataflowNet {Harness.FormatPair(dfn)} (min {Harness.Format(dfn.Min)}, max {Harness.Format(dfn.Max)}), " +
                  $"TorchSharp {Harness.FormatPair(peer)} (min {Harness.Format(peer.Min)}, max {Harness.Format(peer.Max)})");
}

var notes = new List<string>();
if (selected.Contains("memory"))
{
    log.WriteLine($"  MLP memory: {memorySteps} steps in a child process per side");
    var d = MemoryProbe.Launch("dataflownet", memorySteps, threads, log);
    var t = MemoryProbe.Launch("torchsharp", memorySteps, threads, log);
    const double MB = 1024 * 1024;
    rows.Add(new Row("MLP step: bytes allocated per step (MB)", $"{d.ThreadBytesPerStep / MB:F2}", "n/a", "",
        $"DataflowNet: GC.GetAllocatedBytesForCurrentThread over {d.Steps} steady-state steps; all threads (GC.GetTotalAllocatedBytes): " +
        $"{d.AllBytesPerStep / MB:F2} MB/step, {d.Gen0PerStep:F2} gen-0 collections/step. TorchSharp allocates tensors in libtorch's native allocator, which the GC does not see."));
    rows.Add(new Row("MLP step: peak memory (MB)", $"{d.PeakBytes / MB:F0}", $"{t.PeakBytes / MB:F0}", Harness.Ratio(t.PeakBytes / d.PeakBytes),
        $"peak resident set (VmHWM) of a process that only runs the MLP; at start: .NET runtime {d.StartBytes / MB:F0} MB, runtime + libtorch loaded {t.StartBytes / MB:F0} MB"));
}

// ---------- the table ----------
string dfnHead = "DataflowNet", peerHead = "TorchSharp";
int labelWidth = rows.Max(r => r.Label.Length) + 2, dfnWidth = rows.Max(r => r.DataflowNet.Length) + 2, peerWidth = rows.Max(r => r.Peer.Length) + 2;
var header =
    $"DataflowNet vs {peerHead}: median ± median absolute deviation of {reps} alternating repetitions (after warm-up).\n" +
    "ratio > 1 means DataflowNet is better: DataflowNet/peer for rates (GFLOP/s, steps/s, GB/s), peer/DataflowNet for µs/op and memory.";
var console = new StringBuilder();
console.AppendLine().AppendLine(header).AppendLine(machine).AppendLine();
foreach (var r in rows)
    console.AppendLine($"{r.Label.PadRight(labelWidth)}{dfnHead} {r.DataflowNet.PadRight(dfnWidth)}{peerHead} {r.Peer.PadRight(peerWidth)}{(r.Ratio == "" ? "" : "ratio " + r.Ratio)}".TrimEnd());
Console.Write(console);
foreach (var r in rows.Where(r => r.Label.StartsWith("MLP step:", StringComparison.Ordinal)))
    Console.WriteLine($"  {r.Label}: {r.Note}");

if (markdown is not null)
{
    var md = new StringBuilder();
    md.AppendLine($"| Workload | DataflowNet | {peerHead} | Ratio (>1: DataflowNet better) |");
    md.AppendLine("|---|---:|---:|---:|");
    foreach (var r in rows) md.AppendLine($"| {r.Label} | {r.DataflowNet} | {r.Peer} | {r.Ratio} |");
    md.AppendLine();
    md.AppendLine($"Median ± median absolute deviation of {reps} alternating repetitions of about {repSeconds:0.##} s per side, after warm-up; " +
                  "the ratio is DataflowNet/peer for rates and peer/DataflowNet for µs/op and memory.");
    md.AppendLine();
    md.AppendLine($"- Machine: {machine.Replace("\n", "; ")}");
    foreach (var r in rows.Where(r => r.Label.StartsWith("MLP step:", StringComparison.Ordinal)))
        md.AppendLine($"- {r.Label}: {r.Note}");
    md.AppendLine("- relu(x*w+b): 16 bytes per element (x, w, b read, y written). DataflowNet runs `sess.run(y.assign(tf.nn.relu(x * w + b)).op)` on variables; " +
                  "TorchSharp (no `out=` overloads) runs `y.copy_(b).addcmul_(x, w, 1).relu_()`, the fastest preallocated form we found.");
    md.AppendLine("- matmul: DataflowNet fetches `tf.matmul` of two variables (`using var r = sess.run(c)`: disposing the fetched value lends its buffer back to the session); TorchSharp computes `using var c = a.mm(b)` into a new tensor. GFLOP/s counts 2n³.");
    md.AppendLine("- MLP: DataflowNet feeds NumSharp NDArray batches through placeholders (one FeedDict reused); TorchSharp trains an `nn.Sequential` with `optim.SGD` and `cross_entropy` on one-hot float targets, batches already tensors.");
    md.AppendLine("- CNN: TensorFlow's Deep MNIST network (conv 5x5x32 SAME + bias + ReLU, max-pool 2x2, conv 5x5x64, max-pool 2x2, dense 3136-1024 + ReLU, dense 1024-10), batch 64, " +
                  "one plain SGD step at 0.01 on both sides (the tutorial uses Adam at 1e-4) and no dropout. DataflowNet: `tf.nn.conv2d`/`bias_add`/`relu`/`max_pool` on NHWC, NDArray batches fed through placeholders (one FeedDict reused); " +
                  "TorchSharp: `nn.Sequential` of `Conv2d(padding 2)`/`ReLU`/`MaxPool2d(2)`/`Flatten`/`Linear` on NCHW tensors, `optim.SGD`, `cross_entropy` on one-hot float targets.");
    md.AppendLine("- adds: one graph of 1,000 `+` ops on a fed 1-element placeholder (fetch the last); TorchSharp runs the same 1,000 adds eagerly on a tensor made from the fed array.");
    var dir = Path.GetDirectoryName(Path.GetFullPath(markdown));
    if (dir is not null) Directory.CreateDirectory(dir);
    File.WriteAllText(markdown, md.ToString());
    log.WriteLine($"Markdown table written to {markdown}");
}
return 0;

static class Machine
{
    public static string Describe(int threads)
    {
        string cpu = "unknown CPU", os = RuntimeInformation.OSDescription, memory = "";
        try
        {
            cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? cpu;
            var flags = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("flags", StringComparison.Ordinal))?.Split(' ') ?? [];
            var simd = new[] { "avx512f", "avx2", "fma" }.Where(flags.Contains).ToArray();
            if (simd.Length > 0) cpu += $" ({string.Join(", ", simd)})";
            var pretty = File.ReadLines("/etc/os-release").FirstOrDefault(l => l.StartsWith("PRETTY_NAME=", StringComparison.Ordinal));
            if (pretty is not null) os = pretty["PRETTY_NAME=".Length..].Trim('"');
            var total = File.ReadLines("/proc/meminfo").FirstOrDefault(l => l.StartsWith("MemTotal:", StringComparison.Ordinal));
            if (total is not null) memory = $", {double.Parse(total.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024 / 1024:F0} GiB RAM";
        }
        catch (IOException) { }
        string gc = $"{(GCSettings.IsServerGC ? "server" : "workstation")} GC{(GCSettings.LatencyMode == GCLatencyMode.Interactive ? ", concurrent" : "")}";
        return $"{cpu}, {Environment.ProcessorCount} cores{memory}; {os}; {RuntimeInformation.FrameworkDescription} ({gc}, tiered PGO, DataflowNet's parallel kernels on one persistent worker thread per core); " +
               $"{TorchWorkloads.Describe()}";
    }
}

// gpucheck: correctness of every GPU kernel against the CPU device, then the MLP and CNN training steps on the GPU
// against the CPU device and PyTorch on the same GPU, in one run.
// Usage: gpucheck [--cpu-backed] [--mlp] [--steps N] [--no-torch] [--only TEXT] | gpucheck --cnn-smoke
//        | gpucheck [--cpu-backed] --profile [--steps N]
// --cpu-backed skips the timings unless --mlp is given (minutes per step there: for CUDA only). --cnn-smoke builds the
// CNN step and runs it once on the plain CPU device, then exits: a quick check of that graph without a GPU.
// --only TEXT checks only the kernel cases whose name contains TEXT (a rerun of the failures, within the device time).
// --profile times the CNN step's heavy ops one by one on the GPU (min(N, 100) runs each), and nothing else; a full run
// ends with the same profile.
using System.Diagnostics;
using DataflowNet;
using DataflowNet.GpuCheck;
using DataflowNet.Kernels.Gpu;
using ILGPU.Runtime.Cuda;

var cpuBacked = args.Contains("--cpu-backed");
var noTorch = args.Contains("--no-torch");
var steps = args.SkipWhile(a => a != "--steps").Skip(1).Select(int.Parse).FirstOrDefault(200);
var only = args.SkipWhile(a => a != "--only").Skip(1).FirstOrDefault();
if (args.Contains("--cnn-smoke"))
{
    Console.WriteLine($"CNN step on the CPU device: {Cnn(KernelCheck.CpuOnly, 1):F2} steps/s (one step, after one warm-up step)");
    return 0;
}
using var gpu = cpuBacked ? GpuDevice.CreateCpuBacked() : GpuDevice.TryCreateCuda();
if (gpu is null)
{
    // TryCreateCuda says only "none": on the GPU machine, say why, so one device call is enough to fix it.
    Console.WriteLine("No CUDA device found (pass --cpu-backed to run on ILGPU's CPU accelerator).");
    try
    {
        using var context = GpuDevice.CreateCudaContext();
        Console.WriteLine($"ILGPU's CUDA context sees {context.GetCudaDevices().Count} device(s); " +
                          $"libcuda.so.1 loads: {System.Runtime.InteropServices.NativeLibrary.TryLoad("libcuda.so.1", out _)}.");
    }
    catch (Exception e) { Console.WriteLine($"ILGPU's CUDA context failed: {e}"); }
    return 2;
}
Console.WriteLine($"device: {gpu.Name} {gpu.Description}, {DateTime.UtcNow:yyyy-MM-dd}");
if (args.Contains("--profile"))
{
    ProfileCnnOps(Math.Min(steps, 100));
    return 0;
}

// ---------- correctness: each GPU kernel against the CPU device (the catalog in Cases/, shared with the tests) ----------
int failures = 0;
string? lostIn = null;
int Check(IReadOnlyList<KernelCase> cases)
{
    int failed = 0;
    foreach (var c in cases)
    {
        // One case's error (a kernel CUDA refuses) is reported and the run goes on to the rest; after a fault that
        // leaves the CUDA context unusable every later launch fails too, so the check stops there.
        KernelCheck.Result r;
        try { r = KernelCheck.Run(c, gpu); }
        catch (Exception e)
        {
            r = new(false, double.NaN, false, $"threw {e.GetType().Name}: {e.Message.Split('\n')[0]}");
            if (StickyCudaError(e) is { } error) lostIn = $"{c.Name} ({error})";
        }
        if (!r.Ok) failed++;
        Console.WriteLine($"{(r.Ok ? "ok  " : "FAIL")} {c.Name,-40} max rel error {r.MaxError:E2} {r.Detail}");
        if (lostIn is not null)
        {
            Console.WriteLine($"STOP: the CUDA context is unusable after {lostIn}; the cases above are the valid ones. " +
                              "Rerun the rest (or this case alone) with --only.");
            break;
        }
    }
    return failed;
}
var chosen = KernelCases.All.Where(c => only is null || c.Name.Contains(only, StringComparison.OrdinalIgnoreCase)).ToList();
failures += Check(chosen);
Console.WriteLine($"correctness: {chosen.Count - failures} of {chosen.Count} kernels agree with the CPU device");
if (lostIn is not null) return 3;
if (gpu.Blas is not null)
{
    // MatMul went through cuBLAS above: its own tiled kernel (the one used without cuBLAS) is checked too.
    var matmuls = KernelCases.All.Where(c => c.Name.StartsWith("MatMul")).ToList();
    gpu.CuBlasEnabled = false;
    int tiledFailures = Check(matmuls);
    gpu.CuBlasEnabled = true;
    failures += tiledFailures;
    Console.WriteLine($"correctness without cuBLAS: {matmuls.Count - tiledFailures} of {matmuls.Count} MatMul cases agree with the CPU device");
}
else Console.WriteLine("cuBLAS: not found (libcublas.so.12 on the loader's path enables it); MatMul uses the tiled kernel");

// The name of a CUDA error after which the context cannot launch again (CUDA's "sticky" errors), if e has one.
static string? StickyCudaError(Exception e)
{
    string[] sticky = ["ILLEGAL_ADDRESS", "MISALIGNED_ADDRESS", "ILLEGAL_INSTRUCTION", "INVALID_ADDRESS_SPACE", "INVALID_PC",
                       "HARDWARE_STACK_ERROR", "LAUNCH_FAILED", "LAUNCH_TIMEOUT", "ASSERT", "ECC_UNCORRECTABLE"];
    for (var x = e; x is not null; x = x.InnerException)
        if (x is CudaException cuda && sticky.Any(s => cuda.Error.EndsWith(s, StringComparison.Ordinal))) return cuda.Error;
    return null;
}

// Steps/s of a training step (10 warm-up steps first; the median of three rounds of `count` steps); or, with losses given, the loss of each of that many steps.
double Run(ConfigProto? config, Operation train, Tensor loss, Tensor x, Tensor labels, int batch, int count, List<float>? losses)
{
    using var sess = tf.Session(config: config);
    sess.run(tf.global_variables_initializer());
    // The same inputs on every device and in every call (one seed), so that losses can be compared.
    var data = new Random(1);
    var xs = new float[batch, 784];
    var ys = new float[batch, 10];
    for (int i = 0; i < batch; i++) { for (int j = 0; j < 784; j++) xs[i, j] = (float)data.NextDouble(); ys[i, i % 10] = 1; }
    var feeds = new FeedDict { { x, xs }, { labels, ys } };
    if (losses is not null)
    {
        for (int i = 0; i < count; i++) losses.Add(sess.run((loss, train), feeds).Item1!.item<float>());
        return 0;
    }
    for (int i = 0; i < Math.Min(10, count); i++) sess.run(train, feeds);
    // The median of three rounds: a step of a millisecond or less is at the mercy of the host's scheduling.
    var rates = new double[3];
    for (int round = 0; round < rates.Length; round++)
    {
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < count; i++) sess.run(train, feeds);
        rates[round] = count / sw.Elapsed.TotalSeconds;
    }
    Array.Sort(rates);
    return rates[1];
}

// ---------- the MLP training step: 784-512-512-10, batch 128, SGD ----------
double Mlp(ConfigProto? config, List<float>? losses = null)
{
    tf.reset_default_graph();
    tf.set_random_seed(1);
    var x = tf.placeholder(tf.float32, shape: new TensorShape(-1, 784));
    var labels = tf.placeholder(tf.float32, shape: new TensorShape(-1, 10));
    Tensor Dense(Tensor input, int n, int m, bool relu)
    {
        var w = tf.Variable(tf.truncated_normal(new TensorShape(n, m), stddev: 0.05f));
        var b = tf.Variable(tf.zeros(new TensorShape(m)));
        var z = tf.matmul(input, w) + b;
        return relu ? tf.nn.relu(z) : z;
    }
    var logits = Dense(Dense(Dense(x, 784, 512, true), 512, 512, true), 512, 10, false);
    var loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(labels: labels, logits: logits));
    var train = tf.train.GradientDescentOptimizer(0.1f).minimize(loss);
    return Run(config, train, loss, x, labels, 128, losses is null ? steps : 20, losses);
}
// ---------- the CNN training step (the benchmark's: tests/DataflowNet.Benchmarks, DataflowNetWorkloads.Cnn) ----------
// 28x28x1 NHWC images fed as [64, 784], conv 5x5x32 SAME + bias + ReLU, max-pool 2x2 stride 2 SAME, conv 5x5x64 SAME
// + bias + ReLU, max-pool 2x2, dense 3136 -> 1024 + ReLU, dense 1024 -> 10, mean softmax cross-entropy, SGD 0.01, batch 64.
double Cnn(ConfigProto? config, int steps, List<float>? losses = null)
{
    const int batch = 64;
    tf.reset_default_graph();
    tf.set_random_seed(1);
    var x = tf.placeholder(tf.float32, shape: new TensorShape(-1, 784));
    var labels = tf.placeholder(tf.float32, shape: new TensorShape(-1, 10));
    Tensor Conv(Tensor input, int inChannels, int outChannels)
    {
        var w = tf.Variable(tf.truncated_normal(new TensorShape(5, 5, inChannels, outChannels), stddev: 0.1f));
        var b = tf.Variable(tf.constant(0.1f, shape: new TensorShape(outChannels)));
        return tf.nn.relu(tf.nn.bias_add(tf.nn.conv2d(input, w, strides: [1, 1, 1, 1], padding: "SAME"), b));
    }
    Tensor Pool(Tensor input) => tf.nn.max_pool(input, ksize: [1, 2, 2, 1], strides: [1, 2, 2, 1], padding: "SAME");
    Tensor Dense(Tensor input, int n, int m)
    {
        var w = tf.Variable(tf.truncated_normal(new TensorShape(n, m), stddev: 0.1f));
        var b = tf.Variable(tf.constant(0.1f, shape: new TensorShape(m)));
        return tf.matmul(input, w) + b;
    }
    var image = tf.reshape(x, new TensorShape(-1, 28, 28, 1));
    var h = Pool(Conv(Pool(Conv(image, 1, 32)), 32, 64));
    var flat = tf.reshape(h, new TensorShape(-1, 7 * 7 * 64));
    var logits = Dense(tf.nn.relu(Dense(flat, 7 * 7 * 64, 1024)), 1024, 10);
    var loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(labels: labels, logits: logits));
    var train = tf.train.GradientDescentOptimizer(0.01f).minimize(loss);
    return Run(config, train, loss, x, labels, batch, steps, losses);
}

// Whole training runs agree: the losses of the same steps from the same seeded weights on the GPU and on the CPU,
// within `tolerance` (relative). Each step's rounding differences feed the next step, so the bound is on the run.
bool Agrees(string what, Action<ConfigProto?, List<float>> train, double tolerance)
{
    var (onGpu, onCpu) = (new List<float>(), new List<float>());
    try
    {
        train(new ConfigProto { Devices = [gpu] }, onGpu);
        train(KernelCheck.CpuOnly, onCpu);
    }
    catch (Exception e)
    {
        Console.WriteLine($"FAIL {what}: threw {e.GetType().Name}: {e.Message.Split('\n')[0]}");
        return false;
    }
    var differences = onGpu.Zip(onCpu, (g, c) => Math.Abs(g - c) / Math.Max(1, Math.Abs(c))).ToList();
    bool ok = differences.Max() <= tolerance && onGpu[^1] < onGpu[0];
    Console.WriteLine($"{(ok ? "ok  " : "FAIL")} {what}: losses {onGpu[0]:F4} -> {onGpu[^1]:F4} on the GPU, {onCpu[0]:F4} -> {onCpu[^1]:F4} on the CPU; " +
                      $"max rel difference {differences.Max():E2} (at most {tolerance:E0}); by step: {string.Join(" ", differences.Select(d => d.ToString("E1")))}");
    return ok;
}
// The GPU's own kernels sum each product in the CPU's order, so their runs stay within rounding of the CPU's. cuBLAS
// orders its sums differently (blocked, split), and a step's last-bit differences grow through the following steps:
// its runs are held to a looser bound.
void TrainingAgrees(string what, Action<ConfigProto?, List<float>> train)
{
    bool blas = gpu.Blas is not null;
    gpu.CuBlasEnabled = false;
    if (!Agrees(what + (blas ? ", without cuBLAS" : ""), train, 1e-3)) failures++;
    gpu.CuBlasEnabled = true;
    if (blas && !Agrees(what + ", MatMul by cuBLAS", train, 1e-2)) failures++;
}

// PyTorch's figure for the same step on the same GPU: the script prints steps/s last.
void Torch(string scriptName, double ours)
{
    if (noTorch || cpuBacked) return;
    var script = Path.Combine(AppContext.BaseDirectory, scriptName);
    var psi = new ProcessStartInfo("python3", $"{script} {steps}") { RedirectStandardOutput = true, RedirectStandardError = true };
    using var p = Process.Start(psi)!;
    var output = p.StandardOutput.ReadToEnd();
    Console.Error.Write(p.StandardError.ReadToEnd());
    p.WaitForExit();
    if (double.TryParse(output.Trim().Split(' ').Last(), System.Globalization.CultureInfo.InvariantCulture, out var torch))
        Console.WriteLine($"PyTorch on the same GPU: {torch:F1} steps/s; ratio DataflowNet/PyTorch {ours / torch:F2}x");
    else Console.WriteLine($"PyTorch run gave no figure: {output}");
}

if (!cpuBacked || args.Contains("--mlp"))
{
    TrainingAgrees("MLP, 20 SGD steps", (config, losses) => Mlp(config, losses));
    TrainingAgrees("CNN, 5 SGD steps", (config, losses) => Cnn(config, 5, losses));
}
if (cpuBacked && !args.Contains("--mlp"))
{
    // ILGPU's CPU accelerator runs a 784x512 product at a few hundred MFLOP/s: the timings are for real GPUs.
    Console.WriteLine("MLP and CNN timings skipped on the CPU-backed device (--mlp runs them anyway, at minutes per step).");
    return failures == 0 ? 0 : 1;
}
var ours = Mlp(new ConfigProto { Devices = [gpu] });
var cpu = Mlp(KernelCheck.CpuOnly);
Console.WriteLine($"MLP 784-512-512-10 step, batch 128: DataflowNet on {gpu.Name} {ours:F1} steps/s; on the CPU {cpu:F1} steps/s");
if (gpu.Blas is not null)
{
    gpu.CuBlasEnabled = false;
    Console.WriteLine($"MLP step with the tiled MatMul kernel instead of cuBLAS: {Mlp(new ConfigProto { Devices = [gpu] }):F1} steps/s");
    gpu.CuBlasEnabled = true;
}
Torch("torch_mlp.py", ours);
var oursCnn = Cnn(new ConfigProto { Devices = [gpu] }, steps);
var cpuCnn = Cnn(KernelCheck.CpuOnly, steps);
Console.WriteLine($"CNN 28x28x1 conv5x5x32-pool-conv5x5x64-pool-1024-10 step, batch 64: DataflowNet on {gpu.Name} {oursCnn:F1} steps/s; on the CPU {cpuCnn:F1} steps/s");
Torch("torch_cnn.py", oursCnn);
ProfileCnnOps(100);
return failures == 0 ? 0 : 1;

// Where a CNN step's time goes on the GPU: each of its heavy ops alone, at the step's sizes (ms per run, a run being
// that one op plus the session's per-run cost, which the first line measures).
void ProfileCnnOps(int runs)
{
    Tensor V(params int[] dims) => tf.Variable(tf.truncated_normal(new TensorShape(dims), stddev: 0.1f));
    (string, Func<Tensor>)[] ops =
    [
        ("Identity (per-run cost)", () => tf.identity(V(1))),
        ("Conv2D 64x28x28x1 * 5x5x1x32", () => tf.nn.conv2d(V(64, 28, 28, 1), V(5, 5, 1, 32), [1, 1, 1, 1], "SAME")),
        ("Conv2D 64x14x14x32 * 5x5x32x64", () => tf.nn.conv2d(V(64, 14, 14, 32), V(5, 5, 32, 64), [1, 1, 1, 1], "SAME")),
        ("Conv2DBackpropInput 64x14x14x32 <- 64", () => tf.nn.conv2d_backprop_input([64, 14, 14, 32], V(5, 5, 32, 64), V(64, 14, 14, 64), [1, 1, 1, 1], "SAME")),
        ("Conv2DBackpropFilter 5x5x1x32", () => tf.nn.conv2d_backprop_filter(V(64, 28, 28, 1), [5, 5, 1, 32], V(64, 28, 28, 32), [1, 1, 1, 1], "SAME")),
        ("Conv2DBackpropFilter 5x5x32x64", () => tf.nn.conv2d_backprop_filter(V(64, 14, 14, 32), [5, 5, 32, 64], V(64, 14, 14, 64), [1, 1, 1, 1], "SAME")),
        ("MaxPool 64x28x28x32", () => tf.nn.max_pool(V(64, 28, 28, 32), [1, 2, 2, 1], [1, 2, 2, 1], "SAME")),
        ("MaxPoolGrad 64x28x28x32", () => { var x = V(64, 28, 28, 32); return tf.gradients(tf.nn.max_pool(x, [1, 2, 2, 1], [1, 2, 2, 1], "SAME"), x)[0]!; }),
        ("MatMul 64x3136 * 3136x1024", () => tf.matmul(V(64, 3136), V(3136, 1024))),
        ("MatMul grad a 64x1024 * (3136x1024)T", () => tf.matmul(V(64, 1024), V(3136, 1024), transpose_b: true)),
        ("MatMul grad b (64x3136)T * 64x1024", () => tf.matmul(V(64, 3136), V(64, 1024), transpose_a: true)),
        ("BiasAddGrad 64x28x28x32", () => { var b = V(32); return tf.gradients(tf.nn.bias_add(V(64, 28, 28, 32), b), b)[0]!; }),
        ("Relu+BiasAdd 64x28x28x32", () => tf.nn.relu(tf.nn.bias_add(V(64, 28, 28, 32), V(32)))),
    ];
    Console.WriteLine($"CNN ops alone on the GPU (ms per run, {runs} runs after a warm-up run):");
    foreach (var (name, build) in ops)
    {
        try
        {
            tf.reset_default_graph();
            tf.set_random_seed(1);
            var y = build();
            using var sess = tf.Session(config: new ConfigProto { Devices = [gpu] });
            sess.run(tf.global_variables_initializer());
            double Time()
            {
                sess.run(y.op);
                var sw = Stopwatch.StartNew();
                for (int i = 0; i < runs; i++) sess.run(y.op);
                return sw.Elapsed.TotalMilliseconds / runs;
            }
            string line = $"  {name,-40} {Time():F3}";
            if (name.StartsWith("Conv2D") || name.StartsWith("MatMul"))
            {
                // The tiled products each way (and MatMul without cuBLAS): what the choice by shape chose from.
                gpu.CuBlasEnabled = false;
                gpu.GemmTiling = GemmTiling.Small;
                line += $"   16x16 tiles {Time():F3}";
                gpu.GemmTiling = GemmTiling.Large;
                line += $"   64x64 tiles {Time():F3}";
                gpu.GemmTiling = GemmTiling.Auto;
                gpu.CuBlasEnabled = true;
            }
            Console.WriteLine(line);
        }
        catch (Exception e) { Console.WriteLine($"  {name,-40} threw {e.GetType().Name}: {e.Message.Split('\n')[0]}"); }
    }
}

// gpucheck: correctness of every GPU kernel against the CPU device, then the MLP training step on the GPU against
// PyTorch on the same GPU, in one run. Usage: gpucheck [--cpu-backed] [--steps N] [--no-torch]
using System.Diagnostics;
using DataflowNet;
using DataflowNet.GpuCheck;
using DataflowNet.Kernels.Gpu;

var cpuBacked = args.Contains("--cpu-backed");
var noTorch = args.Contains("--no-torch");
var steps = args.SkipWhile(a => a != "--steps").Skip(1).Select(int.Parse).FirstOrDefault(200);
using var gpu = cpuBacked ? GpuDevice.CreateCpuBacked() : GpuDevice.TryCreateCuda()
    ?? throw new InvalidOperationException("No CUDA device found (pass --cpu-backed to run on ILGPU's CPU accelerator).");
Console.WriteLine($"device: {gpu.Name} {gpu.Description}, {DateTime.UtcNow:yyyy-MM-dd}");

// ---------- correctness: each GPU kernel against the CPU device (the catalog in Cases/, shared with the tests) ----------
int failures = 0;
foreach (var c in KernelCases.All)
{
    var r = KernelCheck.Run(c, gpu);
    if (!r.Ok) failures++;
    Console.WriteLine($"{(r.Ok ? "ok  " : "FAIL")} {c.Name,-40} max rel error {r.MaxError:E2} {r.Detail}");
}
Console.WriteLine($"correctness: {KernelCases.All.Count - failures} of {KernelCases.All.Count} kernels agree with the CPU device");

var rng = new Random(1);
// ---------- the MLP training step: 784-512-512-10, batch 128, SGD ----------
double Mlp(ConfigProto? config)
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
    using var sess = tf.Session(config: config);
    sess.run(tf.global_variables_initializer());
    var xs = new float[128, 784];
    var ys = new float[128, 10];
    for (int i = 0; i < 128; i++) { for (int j = 0; j < 784; j++) xs[i, j] = (float)rng.NextDouble(); ys[i, i % 10] = 1; }
    var feeds = new FeedDict { { x, xs }, { labels, ys } };
    for (int i = 0; i < Math.Min(10, steps); i++) sess.run(train, feeds);
    var sw = Stopwatch.StartNew();
    for (int i = 0; i < steps; i++) sess.run(train, feeds);
    return steps / sw.Elapsed.TotalSeconds;
}
if (cpuBacked && !args.Contains("--mlp"))
{
    // ILGPU's CPU accelerator runs a 784x512 product at a few hundred MFLOP/s: the timing is for real GPUs.
    Console.WriteLine("MLP timing skipped on the CPU-backed device (pass --mlp to run it anyway).");
    return failures == 0 ? 0 : 1;
}
var ours = Mlp(new ConfigProto { Devices = [gpu] });
var cpu = Mlp(null);
Console.WriteLine($"MLP 784-512-512-10 step, batch 128: DataflowNet on {gpu.Name} {ours:F1} steps/s; on the CPU {cpu:F1} steps/s");
if (!noTorch && !cpuBacked)
{
    var script = Path.Combine(AppContext.BaseDirectory, "torch_mlp.py");
    var psi = new ProcessStartInfo("python3", $"{script} {steps}") { RedirectStandardOutput = true, RedirectStandardError = true };
    using var p = Process.Start(psi)!;
    var output = p.StandardOutput.ReadToEnd();
    Console.Error.Write(p.StandardError.ReadToEnd());
    p.WaitForExit();
    if (double.TryParse(output.Trim().Split(' ').Last(), System.Globalization.CultureInfo.InvariantCulture, out var torch))
        Console.WriteLine($"PyTorch on the same GPU: {torch:F1} steps/s; ratio DataflowNet/PyTorch {ours / torch:F2}x");
    else Console.WriteLine($"PyTorch run gave no figure: {output}");
}
return failures == 0 ? 0 : 1;

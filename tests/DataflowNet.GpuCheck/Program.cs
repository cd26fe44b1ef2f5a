// gpucheck: correctness of every GPU kernel against the CPU device, then the MLP training step on the GPU against
// PyTorch on the same GPU, in one run. Usage: gpucheck [--cpu-backed] [--steps N] [--no-torch]
using System.Diagnostics;
using DataflowNet;
using DataflowNet.Kernels.Gpu;

var cpuBacked = args.Contains("--cpu-backed");
var noTorch = args.Contains("--no-torch");
var steps = args.SkipWhile(a => a != "--steps").Skip(1).Select(int.Parse).FirstOrDefault(200);
using var gpu = cpuBacked ? GpuDevice.CreateCpuBacked() : GpuDevice.TryCreateCuda()
    ?? throw new InvalidOperationException("No CUDA device found (pass --cpu-backed to run on ILGPU's CPU accelerator).");
Console.WriteLine($"device: {gpu.Name} {gpu.Description}, {DateTime.UtcNow:yyyy-MM-dd}");

// ---------- correctness: each GPU kernel against the CPU device ----------
var rng = new Random(1);
float[] Data(int n, float lo = -1, float hi = 1) => Enumerable.Range(0, n).Select(_ => (float)(lo + rng.NextDouble() * (hi - lo))).ToArray();
var cases = new List<(string Name, Func<Tensor> Build, double Tol)>
{
    ("AddV2 broadcast", () => tf.constant(Data(64 * 33), shape: new TensorShape(64, 33)) + tf.constant(Data(33), shape: new TensorShape(33)), 1e-6),
    ("Sub", () => tf.constant(Data(1000)) - tf.constant(Data(1000)), 1e-6),
    ("Mul column broadcast", () => tf.constant(Data(64 * 33), shape: new TensorShape(64, 33)) * tf.constant(Data(64), shape: new TensorShape(64, 1)), 1e-6),
    ("RealDiv", () => tf.constant(Data(1000)) / tf.constant(Data(1000, 1, 2)), 1e-6),
    ("Maximum", () => tf.maximum(tf.constant(Data(1000)), tf.constant(Data(1000))), 0),
    ("Minimum", () => tf.minimum(tf.constant(Data(1000)), tf.constant(Data(1000))), 0),
    ("SquaredDifference", () => tf.squared_difference(tf.constant(Data(1000)), tf.constant(Data(1000))), 1e-6),
    ("BiasAdd NHWC", () => tf.nn.bias_add(tf.constant(Data(2 * 5 * 5 * 7), shape: new TensorShape(2, 5, 5, 7)), tf.constant(Data(7))), 1e-6),
    ("Neg", () => -tf.constant(Data(1000)), 0),
    ("Abs", () => tf.abs(tf.constant(Data(1000))), 0),
    ("Square", () => tf.square(tf.constant(Data(1000))), 1e-6),
    ("Sqrt", () => tf.sqrt(tf.constant(Data(1000, 0, 4))), 1e-6),
    ("Exp", () => tf.exp(tf.constant(Data(1000, -5, 5))), 1e-5),
    ("Log", () => tf.log(tf.constant(Data(1000, 0.1f, 4))), 1e-6),
    ("Tanh", () => tf.tanh(tf.constant(Data(1000, -5, 5))), 1e-6),
    ("Sigmoid", () => tf.sigmoid(tf.constant(Data(1000, -20, 20))), 1e-6),
    ("Relu", () => tf.nn.relu(tf.constant(Data(1000))), 0),
    ("Reciprocal", () => tf.reciprocal(tf.constant(Data(1000, 1, 2))), 1e-6),
    ("MatMul 129x257x65", () => tf.matmul(tf.constant(Data(129 * 257), shape: new TensorShape(129, 257)), tf.constant(Data(257 * 65), shape: new TensorShape(257, 65))), 1e-4),
    ("MatMul transpose_a/b", () => tf.matmul(tf.constant(Data(257 * 129), shape: new TensorShape(257, 129)), tf.constant(Data(65 * 257), shape: new TensorShape(65, 257)), transpose_a: true, transpose_b: true), 1e-4),
    ("Sum axis 0", () => tf.reduce_sum(tf.constant(Data(300 * 40), shape: new TensorShape(300, 40)), 0), 1e-4),
    ("Mean axes 1,2", () => tf.reduce_mean(tf.constant(Data(4 * 30 * 20 * 3), shape: new TensorShape(4, 30, 20, 3)), new[] { 1, 2 }), 1e-5),
    ("Softmax", () => tf.nn.softmax(tf.constant(Data(64 * 10, -20, 20), shape: new TensorShape(64, 10))), 1e-6),
    ("LogSoftmax", () => tf.nn.log_softmax(tf.constant(Data(64 * 10, -20, 20), shape: new TensorShape(64, 10))), 1e-5),
    ("SoftmaxCrossEntropyWithLogits", () => tf.nn.softmax_cross_entropy_with_logits(
        labels: tf.constant(Enumerable.Range(0, 640).Select(i => i % 10 == i / 64 % 10 ? 1f : 0f).ToArray(), shape: new TensorShape(64, 10)),
        logits: tf.constant(Data(64 * 10, -5, 5), shape: new TensorShape(64, 10))), 1e-5),
    ("ReluGrad", () => Grad(x => tf.nn.relu(x)), 1e-6),
    ("SigmoidGrad", () => Grad(x => tf.sigmoid(x)), 1e-6),
    ("TanhGrad", () => Grad(x => tf.tanh(x)), 1e-6),
};
// The gradient of sum(f(x)) ends in f's gradient op, so that op is the one checked for placement.
Tensor Grad(Func<Tensor, Tensor> f)
{
    var x = tf.constant(Data(500, -3, 3));
    return tf.gradients(tf.reduce_sum(f(x)), x)[0]!;
}
int failures = 0;
foreach (var (name, build, tol) in cases)
{
    tf.reset_default_graph();
    var y = build();
    TensorValue expected, got;
    using (var s = tf.Session()) expected = s.run(y);
    var log = new StringWriter();
    var previous = Log.Writer;
    Log.Writer = log;
    try
    {
        using var s = tf.Session(config: new ConfigProto { Devices = [gpu], LogDevicePlacement = true });
        got = s.run(y);
    }
    finally { Log.Writer = previous; }
    var e = expected.ToArray<float>();
    var g = got.ToArray<float>();
    double err = 0;
    for (int i = 0; i < e.Length; i++) err = Math.Max(err, Math.Abs(e[i] - g[i]) / Math.Max(1, Math.Abs(e[i])));
    bool onGpu = log.ToString().Contains($"{y.op.name}: ({y.op.type}): /job:localhost/replica:0/task:0/device:GPU:0");
    bool ok = err <= tol && onGpu && e.Length == g.Length;
    if (!ok) failures++;
    Console.WriteLine($"{(ok ? "ok  " : "FAIL")} {name,-32} max rel error {err:E2}{(onGpu ? "" : " (NOT placed on the GPU)")}");
}
Console.WriteLine($"correctness: {cases.Count - failures} of {cases.Count} kernels agree with the CPU device");

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

using DataflowNet;
using DataflowNet.Kernels.Gpu;
using NUnit.Framework;

namespace DataflowNet.Tests;

/// <summary>
/// The GPU device, run on ILGPU's CPU accelerator so every GPU kernel runs on every commit: each op against the CPU
/// device on the same inputs, placement and copies, the memory cap.
/// </summary>
public class GpuDeviceTests : GpuTest
{
    private static float[] Data(int n, int seed, float scale = 1f)
    {
        var r = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => (float)(r.NextDouble() * 2 - 1) * scale).ToArray();
    }

    /// <summary>Runs <paramref name="y"/> on the CPU and on the GPU device and checks they agree within float32 tolerance.</summary>
    private static TensorValue AgreeWithCpu(Tensor y, FeedDict? feeds = null, double tolerance = 1e-5)
    {
        TensorValue cpu, gpu;
        using (var s = tf.Session()) cpu = s.run(y, feeds);
        using (var s = tf.Session(config: OnGpu())) gpu = s.run(y, feeds);
        Assert.That(gpu.shape, Is.EqualTo(cpu.shape), y.name);
        Assert.That(gpu.ToArray<float>(), Is.EqualTo(cpu.ToArray<float>()).Within(tolerance), y.name);
        return gpu;
    }

    [Test]
    public void TheCpuBackedGpuIsNotListedUnlessAskedFor()
    {
        Assert.That(tf.config.list_physical_devices("GPU"), Is.Empty);
        Assert.That(Gpu.Name, Is.EqualTo("/device:GPU:0"));
        Assert.That(Gpu.Description, Does.Contain("CPU"));
    }

    [Test]
    public void ElementwiseOpsAgreeWithTheCpu([Values("add", "sub", "mul", "div", "max", "min", "sqdiff")] string op)
    {
        var a = tf.constant(Data(24, 1), shape: new TensorShape(2, 3, 4));
        foreach (var bShape in new[] { new[] { 2, 3, 4 }, new[] { 4 }, new[] { 3, 1 }, new int[0], new[] { 2, 1, 4 } })
        {
            var b = tf.constant(Data(bShape.Aggregate(1, (x, y) => x * y), 2).Select(v => v + 2f).ToArray(), shape: new TensorShape(bShape));
            Tensor y = op switch
            {
                "add" => a + b, "sub" => a - b, "mul" => a * b, "div" => a / b,
                "max" => tf.maximum(a, b), "min" => tf.minimum(a, b), _ => tf.squared_difference(a, b),
            };
            AgreeWithCpu(y);
            AgreeWithCpu(op is "sub" or "div" ? (op == "sub" ? b - a : b / (a + 3f)) : y); // the broadcast operand first
        }
    }

    [Test]
    public void UnaryOpsAgreeWithTheCpu()
    {
        var x = tf.constant(Data(30, 3, 4f), shape: new TensorShape(5, 6));
        var pos = tf.abs(x) + 0.5f;
        foreach (var y in new[] { -x, tf.abs(x), tf.square(x), tf.sqrt(pos), tf.exp(x), tf.log(pos), tf.tanh(x), tf.sigmoid(x * 10f), tf.nn.relu(x), tf.reciprocal(pos) })
            AgreeWithCpu(y, tolerance: 1e-4);
    }

    [Test]
    public void ViewsAndFillsStayOnTheDevice()
    {
        var m = tf.matmul(tf.constant(Data(12, 9), shape: new TensorShape(3, 4)), tf.constant(Data(20, 10), shape: new TensorShape(4, 5)));
        var flat = tf.reshape(m, new[] { -1 });
        var y = AgreeWithCpu(tf.expand_dims(flat, 0) + tf.squeeze(tf.expand_dims(tf.ones_like(flat), 1)), tolerance: 1e-5);
        Assert.That(y.shape, Is.EqualTo(new[] { 1, 15 }));
        AssertValue(AgreeWithCpu(tf.zeros_like(m) + tf.ones_like(m)), Enumerable.Repeat(1f, 15).ToArray(), [3, 5]);
        // Two views of two different device buffers in one plan must not be confused with each other.
        var two = tf.reshape(m, new[] { 15 }) - tf.reshape(m * 2f, new[] { 15 });
        AgreeWithCpu(two, tolerance: 1e-5);
    }

    [Test]
    public void SoftmaxAndItsCrossEntropyAgreeWithTheCpu()
    {
        var logits = tf.constant(Data(7 * 10, 7, 30f), shape: new TensorShape(7, 10)); // large logits: the maximum is subtracted
        var labels = tf.nn.softmax(tf.constant(Data(7 * 10, 8), shape: new TensorShape(7, 10)));
        AgreeWithCpu(tf.nn.softmax(logits), tolerance: 1e-6);
        AgreeWithCpu(tf.nn.log_softmax(logits), tolerance: 1e-5);
        AgreeWithCpu(tf.nn.softmax_cross_entropy_with_logits(labels: labels, logits: logits), tolerance: 1e-5);
        AgreeWithCpu(tf.gradients(tf.reduce_sum(tf.nn.softmax_cross_entropy_with_logits(labels: labels, logits: logits)), logits)[0]!, tolerance: 1e-6);
    }

    [Test]
    public void MatMulAgreesWithTheCpuForEveryTranspose()
    {
        // Odd sizes so partial tiles are exercised.
        foreach (var (ta, tb) in new[] { (false, false), (true, false), (false, true), (true, true) })
        {
            var a = tf.constant(Data(37 * 19, 4), shape: ta ? new TensorShape(19, 37) : new TensorShape(37, 19));
            var b = tf.constant(Data(19 * 23, 5), shape: tb ? new TensorShape(23, 19) : new TensorShape(19, 23));
            var y = AgreeWithCpu(tf.matmul(a, b, transpose_a: ta, transpose_b: tb), tolerance: 1e-4);
            Assert.That(y.shape, Is.EqualTo(new[] { 37, 23 }));
        }
    }

    [Test]
    public void ReductionsAgreeWithTheCpu()
    {
        var x = tf.constant(Data(2 * 3 * 4 * 5, 6), shape: new TensorShape(2, 3, 4, 5));
        foreach (var axes in new[] { new[] { 0 }, new[] { 3 }, new[] { 1, 2 }, new[] { 0, 2 }, new[] { -1, 0 }, new[] { 0, 1, 2, 3 } })
            foreach (var keep in new[] { false, true })
            {
                AgreeWithCpu(tf.reduce_sum(x, axes, keepdims: keep), tolerance: 1e-4);
                AgreeWithCpu(tf.reduce_mean(x, axes, keepdims: keep), tolerance: 1e-5);
            }
    }

    [Test]
    public void PlacementPutsKernelOpsOnTheGpuAndCopiesAtTheEdges()
    {
        var x = tf.placeholder(tf.float32, shape: new TensorShape(-1, 3), name: "x");
        var w = tf.constant(new float[,] { { 1, 2 }, { 3, 4 }, { 5, 6 } }, name: "w");
        var y = tf.matmul(x, w, name: "y");
        var i = tf.argmax(tf.cast(y, tf.float64), 1, name: "best"); // float64: no GPU kernel, so placed on the CPU, its input copied back
        var previous = Log.Writer;
        var log = new StringWriter();
        Log.Writer = log;
        try
        {
            using var sess = tf.Session(config: OnGpu(log: true));
            var (yv, iv) = sess.run((y, i), (x, new float[,] { { 1, 0, 0 }, { 0, 0, 1 } }));
            AssertValue(yv!, [1f, 2f, 5f, 6f], [2, 2]);
            AssertValue(iv!, [1L, 1L], [2]);
        }
        finally { Log.Writer = previous; }
        Assert.That(log.ToString(), Does.Contain("y: (MatMul): /job:localhost/replica:0/task:0/device:GPU:0")
            .And.Contain("w: (Const): /job:localhost/replica:0/task:0/device:GPU:0")
            .And.Contain("dimension: (Const): /job:localhost/replica:0/task:0/device:CPU:0") // int32: no GPU kernel
            .And.Contain("best: (ArgMax): /job:localhost/replica:0/task:0/device:CPU:0"));
    }

    [Test]
    public void EachGpuReadOfAHostVariableCopiesItWhenItRuns()
    {
        // The variable lives on the CPU; both reads run on the GPU, the second after an update. One copy shared by
        // both reads would hand the second the value from before the update.
        Variable v;
        using (tf.device("/cpu:0")) v = tf.Variable(1f, name: "v");
        Tensor inc;
        using (tf.device("/cpu:0")) inc = v.assign_add(1f);
        var before = v.read_value() * 1f;
        Tensor after;
        using (tf.control_dependencies(new object[] { inc })) after = v.read_value() * 1f;
        using var sess = tf.Session(config: OnGpu());
        sess.run(v.initializer);
        var (r1, r2) = sess.run((before, after));
        AssertValue(r1!, new[] { 1f }, []);
        AssertValue(r2!, new[] { 2f }, []);
    }

    [Test]
    public void VariablesLiveOnTheGpuWhenEveryOpThatWritesThemCan()
    {
        var w = tf.Variable(new float[,] { { 1, 2 }, { 3, 4 } }, name: "w");
        var v = tf.Variable(new[] { 1f, -1f }, name: "v");
        var x = tf.constant(new float[,] { { 1, 1 } }, name: "x");
        var u = tf.Variable(new[] { 1.0, -2.0 }, name: "u", dtype: tf.float64);
        var loss = tf.reduce_sum(tf.matmul(x, w)) + tf.reduce_sum(tf.square(v));
        var sgd = tf.train.GradientDescentOptimizer(0.5f).minimize(loss, var_list: [w]);
        var adam = tf.train.AdamOptimizer(0.1f).minimize(loss, var_list: [v]);
        // float64: ApplyGradientDescent has no GPU kernel for it, so u stays in host memory.
        var sgd64 = tf.train.GradientDescentOptimizer(0.5f).minimize(tf.reduce_sum(tf.square(u)), var_list: [u]);
        var previous = Log.Writer;
        var log = new StringWriter();
        Log.Writer = log;
        try
        {
            using var sess = tf.Session(config: OnGpu(log: true));
            sess.run(tf.global_variables_initializer());
            sess.run(sgd);
            // dloss/dw = x^T·1 = [[1, 1], [1, 1]]: w -= 0.5
            AssertValue(sess.run(w), [0.5f, 1.5f, 2.5f, 3.5f], [2, 2]);
            sess.run(adam);
            AssertValue(sess.run(v), [0.9f, -0.9f], [2], 1e-6); // Adam's first step moves each weight by the learning rate
            sess.run(sgd64);
            AssertValue(sess.run(u), [0.0, 0.0], [2]); // u -= 0.5·2u
        }
        finally { Log.Writer = previous; }
        var text = log.ToString();
        Assert.That(text, Does.Contain("w: (VariableV2): /job:localhost/replica:0/task:0/device:GPU:0")
            .And.Contain("GradientDescent/update_w/ApplyGradientDescent: (ApplyGradientDescent): /job:localhost/replica:0/task:0/device:GPU:0")
            .And.Contain("v: (VariableV2): /job:localhost/replica:0/task:0/device:GPU:0")
            .And.Contain("Adam/update_v/ApplyAdam: (ApplyAdam): /job:localhost/replica:0/task:0/device:GPU:0")
            .And.Contain("u: (VariableV2): /job:localhost/replica:0/task:0/device:CPU:0"));
    }

    [Test]
    public void AnOpPinnedToTheGpuWithoutAKernelThere()
    {
        var values = tf.constant(new[] { 2f }, name: "values");
        Tensor best;
        using (tf.device("/gpu:0")) best = tf.random_shuffle(values, name: "best"); // CPU-only (GpuKernels.CpuOnly)
        using (var sess = tf.Session(config: OnGpu()))
        {
            var e = Assert.Throws<InvalidArgumentException>(() => sess.run(best));
            Assert.That(e!.Message, Does.Contain("'best' (RandomShuffle)").And.Contain("no supported kernel for GPU devices").And.Contain("/device:CPU:0"));
        }
        using (var soft = tf.Session(config: new ConfigProto { Devices = [Gpu], AllowSoftPlacement = true }))
            AssertValue(soft.run(best), [2f], [1]);
    }

    [Test]
    public void AnMlpTrainsTheSameOnTheGpuDevice()
    {
        var losses = new List<float[]>();
        foreach (var config in new[] { new ConfigProto(), OnGpu() })
        {
            tf.reset_default_graph();
            tf.set_random_seed(3);
            var x = tf.placeholder(tf.float32, shape: new TensorShape(-1, 4), name: "x");
            var labels = tf.placeholder(tf.float32, shape: new TensorShape(-1, 3), name: "labels");
            var w1 = tf.Variable(tf.truncated_normal(new TensorShape(4, 8), stddev: 0.5f));
            var b1 = tf.Variable(tf.zeros(new TensorShape(8)));
            var w2 = tf.Variable(tf.truncated_normal(new TensorShape(8, 3), stddev: 0.5f));
            var h = tf.nn.relu(tf.matmul(x, w1) + b1);
            var logits = tf.matmul(h, w2);
            var loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(labels: labels, logits: logits));
            var train = tf.train.GradientDescentOptimizer(0.5f).minimize(loss);
            using var sess = tf.Session(config: config);
            sess.run(tf.global_variables_initializer());
            var feeds = new FeedDict
            {
                { x, new float[,] { { 1, 0, 0, 1 }, { 0, 1, 1, 0 }, { 1, 1, 0, 0 }, { 0, 0, 1, 1 } } },
                { labels, new float[,] { { 1, 0, 0 }, { 0, 1, 0 }, { 0, 0, 1 }, { 1, 0, 0 } } },
            };
            var trace = new List<float>();
            for (int step = 0; step < 20; step++) trace.Add(sess.run((loss, train), feeds).Item1!.item<float>());
            losses.Add(trace.ToArray());
        }
        Assert.That(losses[1], Is.EqualTo(losses[0]).Within(1e-4));
        Assert.That(losses[1][^1], Is.LessThan(losses[1][0] * 0.5f));
    }

    [Test]
    public void AWarmTrainingStepAsksTheDriverForNoMemoryAndSeesEachNewFeed()
    {
        // On CUDA a buffer per feed per run cost an allocation and, once collected, a free that waits for the device.
        var x = tf.placeholder(tf.float32, shape: new TensorShape(-1, 3), name: "x");
        var target = tf.placeholder(tf.float32, shape: new TensorShape(-1, 1), name: "target");
        var w = tf.Variable(tf.zeros(new TensorShape(3, 1)), name: "w");
        var prediction = tf.matmul(x, w);
        var loss = tf.reduce_mean(tf.square(prediction - target));
        var train = tf.train.GradientDescentOptimizer(0.1f).minimize(loss);
        using var sess = tf.Session(config: OnGpu());
        sess.run(tf.global_variables_initializer());
        var xs = new float[,] { { 1, 0, 0 }, { 0, 1, 0 } };
        var ts = new float[,] { { 1 }, { 2 } };
        for (int i = 0; i < 2; i++) sess.run(train, (x, xs), (target, ts));
        long before = Gpu.Allocations;
        sess.run(train, (x, xs), (target, ts));
        Assert.That(Gpu.Allocations, Is.EqualTo(before), "device buffers allocated by a warm step");
        // Each step moves w[i] by 0.1 * (t_i - w[i]) for the row whose x is e_i: w0 = 0.1, 0.19, 0.271; w1 = 0.2, 0.38, 0.542.
        AssertValue(sess.run(w), new[] { 0.271f, 0.542f, 0f }, [3, 1], 1e-6);
        // The reused feed buffer takes each run's value: another feed of the same shape, then of another shape.
        AssertValue(sess.run(prediction, (x, new float[,] { { 0, 1, 0 }, { 1, 1, 0 } })), new[] { 0.542f, 0.813f }, [2, 1], 1e-6);
        AssertValue(sess.run(prediction, (x, new float[,] { { 2, 0, 0 } })), new[] { 0.542f }, [1, 1], 1e-6);
    }

    [Test]
    public void ARunWaitsForItsDevicesAndAFaultThereCommitsNothing()
    {
        var v = tf.Variable(1f, name: "v");
        var bump = tf.assign_add(v, 1f, name: "bump");
        var faulty = new FaultingDevice();
        using var sess = tf.Session(config: new ConfigProto { Devices = [faulty] });
        sess.run(v.initializer);
        Assert.That(faulty.Waits, Is.EqualTo(1), "the initializer's run waited for the device once");
        faulty.FaultOnNextWait = true;
        var e = Assert.Throws<DataflowException>(() => sess.run(bump));
        Assert.That(e!.Message, Does.Contain("A kernel queued on /device:GPU:3 by this run failed: an illegal memory access was encountered"));
        Assert.That(sess.run(v).item<float>(), Is.EqualTo(1f), "the failed run's update did not commit");
        Assert.That(sess.run(bump).item<float>(), Is.EqualTo(2f));
        // A plan on the CPU alone waits for no device.
        using var cpu = tf.Session(config: new ConfigProto { Devices = [CpuDevice.Instance] });
        cpu.run(v.initializer);
        Assert.That(((Session)cpu).Plans.Single().AsyncDevices, Is.Empty);
    }

    /// <summary>A device that runs the CPU's kernels and whose queue can report a fault, as CUDA's does at a sync.</summary>
    private sealed class FaultingDevice : Device
    {
        public FaultingDevice()
        {
            foreach (var type in new[] { "VariableV2", "Assign", "AssignAdd", "Const", "Identity" })
                Kernels.Register(type, null, CpuDevice.Instance.Kernels.Get(type));
            Kernels.Register(GpuKernels.Copy.ToHost, null, ctx => ctx.SetOutput(0, ctx.Input(0)));
            Kernels.Register(GpuKernels.Copy.ToDevice, null, ctx => ctx.SetOutput(0, ctx.Input(0)));
        }

        public override string Name => "/device:GPU:3";
        public override KernelRegistry Kernels { get; } = new();
        public bool FaultOnNextWait;
        public int Waits;

        public override void Synchronize()
        {
            Waits++;
            if (FaultOnNextWait && !(FaultOnNextWait = false)) throw new InvalidOperationException("an illegal memory access was encountered");
        }
    }

    [Test]
    public void TheMemoryCapHoldsAndNamesTheOp()
    {
        using var small = GpuDevice.CreateCpuBacked(options: new GPUOptions { PerProcessGpuMemoryFraction = 1e-6 }); // about 4 KB
        var big = tf.matmul(tf.ones(new TensorShape(64, 64)), tf.ones(new TensorShape(64, 64)), name: "big_product");
        using var sess = tf.Session(config: new ConfigProto { Devices = [small] });
        var e = Assert.Throws<ResourceExhaustedException>(() => sess.run(big));
        Assert.That(e!.Message, Does.Contain("OOM when allocating").And.Contain("/device:GPU:0").And.Contain("bytes"));
        var bad = Assert.Throws<InvalidArgumentException>(() => GpuDevice.CreateCpuBacked(options: new GPUOptions { PerProcessGpuMemoryFraction = 2 }));
        Assert.That(bad!.Message, Does.Contain("PerProcessGpuMemoryFraction"));
    }

    [Test]
    public void CollectedBuffersAreFreedByTheNextAllocationNotTheFinalizer()
    {
        using var device = GpuDevice.CreateCpuBacked();
        long baseline = device.BytesInUse;
        var ilgpuBuffers = DropBuffers(device, 4);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        // The finalizer only queued them: their memory still counts, and ILGPU has not freed them.
        Assert.That(device.PendingFrees, Is.EqualTo(4));
        Assert.That(device.BytesInUse, Is.EqualTo(baseline + 4 * 1000 * sizeof(float)));
        Assert.That(ilgpuBuffers.Any(b => ((ILGPU.Runtime.MemoryBuffer)b.Target!).IsDisposed), Is.False);
        using var next = device.Allocate(DataType.Float32, 10, op: null);
        Assert.That(device.PendingFrees, Is.Zero);
        Assert.That(ilgpuBuffers.All(b => ((ILGPU.Runtime.MemoryBuffer)b.Target!).IsDisposed), Is.True);
        Assert.That(device.BytesInUse, Is.EqualTo(baseline + 10 * sizeof(float)));
    }

    [Test]
    public void ADriverThatRefusesBelowTheCapIsTensorFlowsOutOfMemoryError()
    {
        using var device = GpuDevice.CreateCpuBacked();
        int calls = 0;
        GpuBuffer Refuse() { calls++; throw new InvalidOperationException("out of memory (driver)"); }
        var error = Assert.Throws<ResourceExhaustedException>(() => device.AllocateFromDriver(Refuse, 1000, DataType.Float32, op: null));
        Assert.That(calls, Is.EqualTo(2), "one retry after collecting");
        Assert.That(error!.Message, Does.StartWith("OOM when allocating tensor of 1000 float32 elements (4000 bytes)").And.Contain("out of memory (driver)"));
        // A refusal that a collection cures is no error.
        calls = 0;
        using var real = device.Allocate(DataType.Float32, 10, op: null);
        var buffer = device.AllocateFromDriver(() => ++calls == 1 ? throw new InvalidOperationException("busy") : real, 10, DataType.Float32, op: null);
        Assert.That(buffer, Is.SameAs(real));
        Assert.That(calls, Is.EqualTo(2));
    }

    [Test]
    public void ReluKeepsNaNAndFusedRowsNeedTheFullLeafsTrailingDims()
    {
        var x = tf.placeholder(tf.float32, shape: new TensorShape(-1, -1));
        var b = tf.constant(new[] { 1f, 2f, 3f });
        var y = tf.nn.relu(x + b);   // static output [?, 3]; x fed as [3, 1] broadcasts to [3, 3]
        var rIn = tf.placeholder(tf.float32, shape: new[] { 3 }, name: "r");
        var r = tf.nn.relu(rIn);
        var column = new float[,] { { 1 }, { -5 }, { float.NaN } };
        using var sess = tf.Session(config: OnGpu());
        AssertValue(sess.run(y, (x, column)), new[] { 2f, 3f, 4f, 0f, 0f, 0f, float.NaN, float.NaN, float.NaN }, [3, 3]);
        AssertValue(sess.run(r, (rIn, new[] { float.NaN, -1f, 2f })), new[] { float.NaN, 0f, 2f }, [3]);
    }

    [Test]
    public void AProductWiderThanCudasGridIsAClearError()
    {
        var a = tf.placeholder(tf.float32, shape: (8, 1));
        var b = tf.placeholder(tf.float32, shape: (1, -1));
        var c = tf.matmul(a, b);
        using var sess = tf.Session(config: OnGpu());
        // Past 1,048,560 columns (65,535 16-wide tiles) a product runs with 64-wide tiles; past 4,194,240 it cannot.
        Assert.That(GpuGemm.TileFor(Gpu, 8, 1_048_560, 1), Is.EqualTo(16));
        Assert.That(GpuGemm.TileFor(Gpu, 8, 1_100_000, 1), Is.EqualTo(64));
        var error = Assert.Throws<UnimplementedException>(() => sess.run(c, (a, new float[8, 1]), (b, new float[1, 4_200_000])));
        Assert.That(error!.Message, Does.StartWith("The GPU's tiled product puts its columns on CUDA's grid Y axis, at most 4194240 of them; this one has 4200000.")
            .And.Contain("in op 'MatMul' (MatMul"));
    }

    /// <summary>
    /// Allocates <paramref name="count"/> buffers and drops them; returns their ILGPU buffers (the typed wrapper and the
    /// raw device buffer under it, each with a finalizer of ILGPU's) through weak references that follow them after
    /// finalization, so that the test holds nothing that keeps them from being collected.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static List<WeakReference> DropBuffers(GpuDevice device, int count) =>
        Enumerable.Range(0, count).SelectMany(_ =>
        {
            var typed = ((GpuBuffer<float>)device.Allocate(DataType.Float32, 1000, op: null)).Buffer;
            return new[] { new WeakReference(typed, trackResurrection: true), new WeakReference(((ILGPU.IArrayView)typed.View).Buffer, trackResurrection: true) };
        }).ToList();

    /// <summary>The steps of the plans <paramref name="sess"/> built, by op type (in these tests every chain op is placed on the GPU).</summary>
    private static List<string> GpuStepTypes(Session sess) =>
        sess.Plans.SelectMany(p => p.Steps).Select(st => st.Op.type).ToList();

    [Test]
    public void ElementwiseChainsRunAsOneFusedKernelOnTheGpu()
    {
        // bias + relu over a fed batch (one full leaf, a row), and a chain over fully known shapes with a scalar.
        var x = tf.placeholder(tf.float32, shape: (-1, 24));
        var b = tf.constant(Data(24, 5));
        var w = tf.constant(Data(3 * 24, 6), shape: new TensorShape(3, 24));
        var biasRelu = tf.nn.relu(x + b);
        var known = tf.sqrt(tf.abs(tf.constant(Data(3 * 24, 7), shape: new TensorShape(3, 24)) * w - 0.5f)) / 3f;
        var feeds = new FeedDict { [x] = NumSharp.np.array(Data(5 * 24, 8)).reshape(5, 24) };
        AgreeWithCpu(biasRelu, feeds, 1e-6);
        AgreeWithCpu(known, null, 1e-6);
        using var sess = tf.Session(config: OnGpu());
        sess.run(biasRelu, feeds);
        sess.run(known);
        // Each chain is one step, its root's, on the GPU: the ops inside it have no steps of their own.
        var types = GpuStepTypes(sess);
        Assert.That(types.Count(t => t == "Relu"), Is.EqualTo(1));
        Assert.That(types.Count(t => t == "RealDiv"), Is.EqualTo(1));
        Assert.That(types, Has.None.AnyOf("AddV2", "Sqrt", "Abs", "Sub", "Mul"));
    }

    [Test]
    public void ChainsThatCouldBroadcastAtRunTimeRunOpByOpOnTheGpu()
    {
        // Two leaves of unknown batch: at run time one may be a single row, so the chain keeps its separate kernels.
        var x = tf.placeholder(tf.float32, shape: (-1, 8));
        var y = tf.placeholder(tf.float32, shape: (-1, 8));
        var z = tf.nn.relu(x * y);
        var feeds = new FeedDict { [x] = NumSharp.np.array(Data(4 * 8, 9)).reshape(4, 8), [y] = NumSharp.np.array(Data(8, 10)).reshape(1, 8) };
        AgreeWithCpu(z, feeds, 1e-6);
        using var sess = tf.Session(config: OnGpu());
        sess.run(z, feeds);
        Assert.That(GpuStepTypes(sess), Does.Contain("Mul").And.Contain("Relu"));
    }

    [Test]
    public void RightNestedChainsFuseAndTooManyLeavesRunOpByOp()
    {
        // b / (a + 3): a right operand that is itself a fused node.
        var a = tf.constant(Data(24, 11), shape: new TensorShape(2, 3, 4));
        var b = tf.constant(Data(24, 12), shape: new TensorShape(2, 3, 4));
        var nested = b / (tf.abs(a) + 3f);
        // Five leaves: more than a fused kernel's parameter slots.
        var wide = tf.nn.relu(a * b + a * 2f - b * 0.5f);
        AgreeWithCpu(nested, null, 1e-6);
        AgreeWithCpu(wide, null, 1e-6);
        using var sess = tf.Session(config: OnGpu());
        sess.run(nested);
        Assert.That(GpuStepTypes(sess), Has.None.AnyOf("AddV2", "Abs"), "nested: one fused step");
        sess.run(wide);
        Assert.That(GpuStepTypes(sess), Does.Contain("Mul").And.Contain("Sub"), "wide: op by op");
    }
}

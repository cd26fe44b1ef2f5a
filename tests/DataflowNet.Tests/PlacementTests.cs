using DataflowNet;
using NUnit.Framework;

namespace DataflowNet.Tests;

/// <summary>Device placement: tf.device pins, soft placement, the placement log, colocation, and the device lists.</summary>
[NonParallelizable] // swaps Log.Writer
public class PlacementTests : GraphTest
{
    private static string CaptureLog(Action action)
    {
        var previous = Log.Writer;
        var w = new StringWriter();
        Log.Writer = w;
        try { action(); }
        finally { Log.Writer = previous; }
        return w.ToString();
    }

    [Test]
    public void TheCpuIsListedAsTensorFlowNamesIt()
    {
        Assert.That(tf.config.list_physical_devices("CPU"), Is.EqualTo(new[] { new PhysicalDevice("/physical_device:CPU:0", "CPU") }));
        Assert.That(tf.config.list_physical_devices("GPU"), Is.Empty); // this machine has none
        var local = device_lib.list_local_devices();
        Assert.That(local.Select(d => (d.name, d.device_type)), Is.EqualTo(new[] { ("/device:CPU:0", "CPU") }));
        Assert.That(local[0].memory_limit, Is.GreaterThan(0));
    }

    [Test]
    public void LogDevicePlacementPrintsEachOpsDeviceInTensorFlowsForm()
    {
        var a = tf.constant(new[] { 1f, 2f }, name: "a");
        var b = tf.constant(new[] { 3f, 4f }, name: "b");
        var c = tf.add(a, b, name: "c");
        var log = CaptureLog(() =>
        {
            using var sess = tf.Session(config: tf.ConfigProto(log_device_placement: true));
            AssertValue(sess.run(c), [4f, 6f], [2]);
            sess.run(c); // the plan is cached: logged once
        });
        Assert.That(log.Split('\n', StringSplitOptions.RemoveEmptyEntries), Is.EqualTo(new[]
        {
            "a: (Const): /job:localhost/replica:0/task:0/device:CPU:0",
            "b: (Const): /job:localhost/replica:0/task:0/device:CPU:0",
            "c: (AddV2): /job:localhost/replica:0/task:0/device:CPU:0",
        }));
    }

    [Test]
    public void AGpuPinWithoutAGpuFailsNamingTheOpAndTheDevices()
    {
        Tensor c;
        using (tf.device("/gpu:0")) c = tf.multiply(tf.constant(2f, name: "x"), 3f, name: "product");
        Assert.That(c.device, Is.EqualTo("/device:GPU:0"));
        using var sess = tf.Session();
        var e = Assert.Throws<InvalidArgumentException>(() => sess.run(c));
        Assert.That(e!.Message, Does.Contain("Cannot assign a device for operation").And.Contain("'/device:GPU:0'")
            .And.Contain("/job:localhost/replica:0/task:0/device:CPU:0").And.Contain("AllowSoftPlacement"));
        Assert.That(e.Message, Does.Contain("'x'").Or.Contain("'product'"));
    }

    [Test]
    public void SoftPlacementRunsAGpuPinnedGraphOnTheCpu()
    {
        Tensor c;
        using (tf.device("/device:GPU:0")) c = tf.multiply(tf.constant(2f, name: "x"), 3f, name: "product");
        var log = CaptureLog(() =>
        {
            using var sess = tf.Session(config: new ConfigProto { AllowSoftPlacement = true, LogDevicePlacement = true });
            AssertValue(sess.run(c), [6f], []);
        });
        Assert.That(log, Does.Contain("product: (Mul): /job:localhost/replica:0/task:0/device:CPU:0"));
    }

    [Test]
    public void ExplicitCpuPinsAndNestedScopes()
    {
        Tensor inner, outer;
        using (tf.device("/cpu:0"))
        {
            outer = tf.constant(1, name: "outer");
            using (tf.device("/device:CPU:0")) inner = outer + 1;
        }
        Assert.That(outer.device, Is.EqualTo("/device:CPU:0"));
        Assert.That(inner.device, Is.EqualTo("/device:CPU:0"));
        AssertValue(Eval(inner), [2], []);
        Assert.Throws<InvalidArgumentException>(() => tf.device("/tpu:0"));
    }

    [Test]
    public void AVariableAndItsAssignPinnedApartIsAnError()
    {
        Variable v;
        using (tf.device("/cpu:0")) v = tf.Variable(1f, name: "v");
        Tensor assign;
        using (tf.device("/gpu:0")) assign = v.assign(5f, name: "set_v");
        using var sess = tf.Session();
        var e = Assert.Throws<InvalidArgumentException>(() => sess.run(assign));
        Assert.That(e!.Message, Does.Contain("'set_v' on /device:GPU:0").And.Contain("'v' on /device:CPU:0").And.Contain("must share a device"));
        // Soft placement keeps them together on the device that can run both.
        using var soft = tf.Session(config: new ConfigProto { AllowSoftPlacement = true });
        soft.run(v.initializer);
        AssertValue(soft.run(assign), [5f], []);
    }

    /// <summary>
    /// Runs <paramref name="test"/> as if this process had one GPU (a CPU-backed GPU device stands in for CUDA's), its
    /// probe not yet done; the list holds each device the probe made. The real probe is restored after.
    /// </summary>
    private static void WithStandInGpu(Action<List<Kernels.Gpu.GpuDevice>> test)
    {
        var findCuda = LocalDevices.FindGpu;
        var made = new List<Kernels.Gpu.GpuDevice>();
        LocalDevices.ResetProbe();
        LocalDevices.FindGpu = (i, options) =>
        {
            if (i > 0) return null;
            made.Add(Kernels.Gpu.GpuDevice.CreateCpuBacked(0, options));
            return made[^1];
        };
        try { test(made); }
        finally
        {
            LocalDevices.ResetProbe(); // disposes what it found
            LocalDevices.FindGpu = findCuda;
        }
    }

    [Test]
    public void TheFirstSessionSetsUpTheGpusWithItsMemoryFractionAndALaterOneIsToldTheirsIsNotApplied() => WithStandInGpu(made =>
    {
        // As in TensorFlow: GPUs are set up once per process, with the GPUOptions of the first session that looks.
        var big = tf.matmul(tf.ones(new TensorShape(64, 64)), tf.ones(new TensorShape(64, 64)), name: "big_product");
        using var first = tf.Session(config: tf.ConfigProto(gpu_options: tf.GPUOptions(per_process_gpu_memory_fraction: 1e-6)));
        Assert.That(made, Has.Count.EqualTo(1));
        Assert.That(made[0].MemoryLimit, Is.EqualTo((long)((4L << 30) * 1e-6)), "the cap of the CPU-backed stand-in's 4 GiB");
        var e = Assert.Throws<ResourceExhaustedException>(() => first.run(big));
        Assert.That(e!.Message, Does.StartWith("OOM when allocating tensor of 4096 float32 elements (16384 bytes) on /device:GPU:0 for op 'ones' (Fill"));

        var log = CaptureLog(() => { using var second = tf.Session(config: tf.ConfigProto(gpu_options: tf.GPUOptions(per_process_gpu_memory_fraction: 0.5))); });
        Assert.That(log, Does.Contain("WARNING: GPUOptions.PerProcessGpuMemoryFraction = 0.5 is not applied")
            .And.Contain("set up by an earlier session with 1E-06").And.Contain("/device:GPU:0: 4294 bytes"));
        Assert.That(CaptureLog(() => { using var third = tf.Session(); }), Is.Empty, "default options ask for nothing");
        Assert.That(made, Has.Count.EqualTo(1), "set up once");
    });

    [Test]
    public void ABadMemoryFractionFailsItsSessionAndLeavesTheGpusToTheNext() => WithStandInGpu(made =>
    {
        var e = Assert.Throws<InvalidArgumentException>(() => tf.Session(config: tf.ConfigProto(gpu_options: tf.GPUOptions(per_process_gpu_memory_fraction: 1.5))));
        Assert.That(e!.Message, Is.EqualTo("PerProcessGpuMemoryFraction must be in (0, 1], got 1.5."));
        Assert.That(made, Is.Empty, "no device was made for the bad option");
        using var next = tf.Session(config: tf.ConfigProto(gpu_options: tf.GPUOptions(per_process_gpu_memory_fraction: 0.5)));
        Assert.That(made, Has.Count.EqualTo(1));
        Assert.That(made[0].MemoryLimit, Is.EqualTo(2L << 30), "the next session set the GPUs up, with its fraction of 4 GiB");
    });

    [Test]
    public void DeviceCountOfZeroGpusKeepsASessionOnTheCpuOnAMachineWithAGpu() => WithStandInGpu(made =>
    {
        var y = tf.matmul(tf.ones(new TensorShape(2, 3)), tf.ones(new TensorShape(3, 2)), name: "product");
        string onGpu = CaptureLog(() => { using var s = tf.Session(config: tf.ConfigProto(log_device_placement: true)); s.run(y); });
        Assert.That(onGpu, Does.Contain("product: (MatMul): /job:localhost/replica:0/task:0/device:GPU:0"));
        string onCpu = CaptureLog(() =>
        {
            using var s = tf.Session(config: tf.ConfigProto(log_device_placement: true, device_count: new Dictionary<string, int> { ["GPU"] = 0 }));
            AssertValue(s.run(y), [3f, 3f, 3f, 3f], [2, 2]);
        });
        Assert.That(onCpu, Does.Contain("product: (MatMul): /job:localhost/replica:0/task:0/device:CPU:0").And.Not.Contain("GPU"));
        // A pin to the GPU it hides fails as on a machine without one (here on the pinned constant tf.add makes).
        using (tf.device("/gpu:0")) _ = tf.add(y, 1f, name: "pinned");
        var e = Assert.Throws<InvalidArgumentException>(() =>
        {
            using var s = tf.Session(config: tf.ConfigProto(device_count: new Dictionary<string, int> { ["GPU"] = 0 }));
            s.run(tf.get_default_graph().get_tensor_by_name("pinned:0"));
        });
        Assert.That(e!.Message, Does.Contain("explicit device specification '/device:GPU:0'")
            .And.Contain("available devices: /job:localhost/replica:0/task:0/device:CPU:0."));
        Assert.Throws<InvalidArgumentException>(() => tf.Session(config: tf.ConfigProto(device_count: new Dictionary<string, int> { ["GPU"] = -1 })));
    });

    [Test]
    public void ACudaDriverThatCannotBeOpenedLeavesTheProcessOnTheCpuWithAWarning()
    {
        // An old driver lacks entry points ILGPU binds: that is a warning and the CPU, not a failure of every session.
        Kernels.Gpu.GpuDevice? result = null;
        var log = CaptureLog(() => result = LocalDevices.OpenGpu(0, null, (_, _) => throw new EntryPointNotFoundException("cuDevicePrimaryCtxRetain_v2")));
        Assert.That(result, Is.Null);
        Assert.That(log, Is.EqualTo("WARNING: CUDA GPU 0 could not be opened (EntryPointNotFoundException: cuDevicePrimaryCtxRetain_v2); ops run on the CPU." + Environment.NewLine));
        // A bad option is the session's error, whatever the driver.
        var e = Assert.Throws<InvalidArgumentException>(() => LocalDevices.OpenGpu(0, tf.GPUOptions(per_process_gpu_memory_fraction: 2), (_, _) => null));
        Assert.That(e!.Message, Is.EqualTo("PerProcessGpuMemoryFraction must be in (0, 1], got 2."));
    }
}

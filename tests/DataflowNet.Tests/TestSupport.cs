using DataflowNet;
using NUnit.Framework;

namespace DataflowNet.Tests;

/// <summary>
/// The tests compute on the CPU device and on the GPU devices they make themselves (over ILGPU's CPU accelerator),
/// whatever the machine has: on a machine with a CUDA GPU the local-device probe would otherwise place every session's
/// ops there and the expected placements and values would depend on the machine. CUDA itself is checked by
/// tests/DataflowNet.GpuCheck.
/// </summary>
[SetUpFixture]
public class MachineIndependentDevices
{
    [OneTimeSetUp]
    public void LeaveCudaGpusOut()
    {
        LocalDevices.ResetProbe();
        LocalDevices.FindGpu = (_, _) => null;
    }
}

/// <summary>Each test starts on a fresh default graph, and gets helpers to run a tensor and compare values.</summary>
public abstract class GraphTest
{
    [SetUp]
    public void FreshGraph() => tf.reset_default_graph();

    /// <summary>Evaluates tensors in a new session.</summary>
    protected static TensorValue Eval(Tensor t, FeedDict? feeds = null)
    {
        using var sess = tf.Session();
        return sess.run(t, feeds);
    }

    protected static void AssertValue<T>(TensorValue actual, T[] expected, int[] shape, double tolerance = 0)
    {
        Assert.That(actual.dtype, Is.EqualTo(DataTypeExtensions.FromClr(typeof(T))), "dtype");
        Assert.That(actual.shape, Is.EqualTo(shape), "shape");
        var values = actual.ToArray<T>();
        if (tolerance > 0 && typeof(T) is var t && (t == typeof(float) || t == typeof(double)))
            Assert.That(values.Select(v => Convert.ToDouble(v)), Is.EqualTo(expected.Select(v => Convert.ToDouble(v))).Within(tolerance), "values");
        else
            Assert.That(values, Is.EqualTo(expected), "values");
    }
}

/// <summary>The repository the tests run in: the folder above the test binaries that holds DataflowNet.sln.</summary>
internal static class Repository
{
    public static readonly string Root = Find();

    private static string Find()
    {
        var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "DataflowNet.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("DataflowNet.sln not found above the test directory.");
    }
}

/// <summary>
/// Op and gradient tests run twice: on the CPU device, and with a GPU device over ILGPU's CPU accelerator registered,
/// so every session places the float32 ops that have GPU kernels there. Every GPU kernel is exercised on every
/// commit without a GPU, against the same expected values.
/// </summary>
[TestFixture("CPU")]
[TestFixture("GPU")]
[NonParallelizable]
public abstract class DeviceTest(string device) : GraphTest
{
    private static Kernels.Gpu.GpuDevice? _gpu;
    private static readonly object Gate = new();

    protected string Device { get; } = device;

    /// <summary>One GPU device (over ILGPU's CPU accelerator) for the whole run: ILGPU compiles each kernel once per accelerator.</summary>
    internal static Kernels.Gpu.GpuDevice Gpu
    {
        get { lock (Gate) return _gpu ??= Kernels.Gpu.GpuDevice.CreateCpuBacked(); }
    }

    [OneTimeSetUp]
    public void PlaceOnDevice()
    {
        if (Device == "GPU") LocalDevices.Register(Gpu);
    }

    [OneTimeTearDown]
    public void LeaveDevice()
    {
        if (Device != "GPU") return;
        LocalDevices.Unregister(Gpu);
        // Device buffers dropped by this fixture are finalized now, not during a later test that counts allocations.
        GC.Collect();
        GC.WaitForPendingFinalizers();
    }
}

/// <summary>
/// Tests of the GPU device itself: sessions get the run's shared CPU-backed GPU device (<see cref="DeviceTest.Gpu"/>)
/// explicitly, through <see cref="OnGpu"/>, rather than as a registered local device.
/// </summary>
[NonParallelizable]
public abstract class GpuTest : GraphTest
{
    protected static Kernels.Gpu.GpuDevice Gpu => DeviceTest.Gpu;

    protected static ConfigProto OnGpu(bool log = false) => new() { Devices = [Gpu], LogDevicePlacement = log };
}

/// <summary>
/// CRC-32C one bit at a time (reflected polynomial 0x82F63B78) and TensorFlow's mask, written out here so the tests'
/// independent readers of checkpoints and event files check the library's hardware CRC against another implementation.
/// </summary>
internal static class BitwiseCrc32C
{
    public static uint Compute(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (var b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x82F63B78 : crc >> 1;
        }
        return ~crc;
    }

    /// <summary>TensorFlow's masked CRC: rotate right by 15 bits, add 0xa282ead8.</summary>
    public static uint Masked(ReadOnlySpan<byte> data)
    {
        var crc = Compute(data);
        return unchecked(((crc >> 15) | (crc << 17)) + 0xa282ead8);
    }

    public static uint Unmask(uint masked)
    {
        var rot = unchecked(masked - 0xa282ead8);
        return (rot >> 17) | (rot << 15);
    }
}

/// <summary>The files under tests/DataflowNet.Tests/Fixtures, copied beside the test binaries.</summary>
internal static class Fixtures
{
    public static string Path(string name) => System.IO.Path.Combine(TestContext.CurrentContext.TestDirectory, "Fixtures", name);
}

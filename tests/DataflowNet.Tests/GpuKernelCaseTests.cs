using DataflowNet.GpuCheck;
using DataflowNet.Kernels.Gpu;
using NUnit.Framework;

namespace DataflowNet.Tests;

/// <summary>
/// gpucheck's catalog (tests/DataflowNet.GpuCheck/Cases) on the GPU device over ILGPU's CPU accelerator: each kernel
/// is placed on the GPU and agrees with the CPU device. The op suites check the values themselves, on both devices.
/// </summary>
public class GpuKernelCaseTests : GpuTest
{
    private static IEnumerable<KernelCase> Cases => KernelCases.All;

    [TestCaseSource(nameof(Cases))]
    public void RunsOnTheGpuAndAgreesWithTheCpu(KernelCase c)
    {
        var r = KernelCheck.Run(c, Gpu);
        Assert.That(r.OnGpu, Is.True, r.Detail);
        Assert.That(r.MaxError, Is.LessThanOrEqualTo(c.Tolerance), $"{c.Name}: max relative error {r.MaxError:E2}");
    }

    [Test]
    public void EveryCaseHasItsOwnName() =>
        Assert.That(KernelCases.All.Select(c => c.Name), Is.Unique);

    private static IEnumerable<TestCaseData> ProductCases =>
        KernelCases.All.Where(c => c.Name.StartsWith("MatMul") || c.Name.StartsWith("BatchMatMul") || c.Name.StartsWith("Conv2D"))
            .SelectMany(c => new[] { false, true }.Select(large => new TestCaseData(c, large).SetName($"{c.Name}, {(large ? "64x64" : "16x16")} tiles")));

    /// <summary>
    /// The matrix products (MatMul without cuBLAS, BatchMatMul, the convolutions) run with whichever tiling their
    /// shape picks on a GPU; here each case runs with both, so both kernels meet every layout on every commit.
    /// </summary>
    [TestCaseSource(nameof(ProductCases))]
    public void EachProductAgreesWithTheCpuWithEitherTiling(KernelCase c, bool large)
    {
        Gpu.GemmTiling = large ? GemmTiling.Large : GemmTiling.Small;
        try
        {
            var r = KernelCheck.Run(c, Gpu);
            Assert.That(r.OnGpu, Is.True, r.Detail);
            Assert.That(r.MaxError, Is.LessThanOrEqualTo(c.Tolerance), $"{c.Name}: max relative error {r.MaxError:E2}");
        }
        finally { Gpu.GemmTiling = GemmTiling.Auto; }
    }

    [Test]
    public void BothTilingsGiveTheSameBits()
    {
        // Each output sums its depth in the same order either way, so which kernel a shape picks never shows in a result.
        foreach (var c in KernelCases.All.Where(c => c.Name.StartsWith("Conv2D") || c.Name.StartsWith("BatchMatMul") || c.Name.StartsWith("MatMul 129")))
        {
            tf.reset_default_graph();
            var y = c.Build();
            float[] Run(GemmTiling tiling)
            {
                Gpu.GemmTiling = tiling;
                try
                {
                    using var s = tf.Session(config: new ConfigProto { Devices = [Gpu] });
                    return s.run(y).ToArray<float>();
                }
                finally { Gpu.GemmTiling = GemmTiling.Auto; }
            }
            Assert.That(Run(GemmTiling.Large), Is.EqualTo(Run(GemmTiling.Small)), c.Name);
        }
    }

    [Test]
    public void TheTilingFollowsTheShape()
    {
        // An H100 has 132 multiprocessors (the CPU-backed device plans as one).
        Assert.That(GpuGemm.UseLarge(Gpu, 12544, 64, 1), Is.True, "the CNN's second convolution: 196 full tiles");
        Assert.That(GpuGemm.UseLarge(Gpu, 12544, 32, 1), Is.False, "32 columns would leave half of each 64-wide tile idle");
        Assert.That(GpuGemm.UseLarge(Gpu, 128, 512, 1), Is.False, "16 tiles for 132 multiprocessors");
        Assert.That(GpuGemm.UseLarge(Gpu, 800, 64, 21), Is.True, "a filter gradient split in 21 slices");
    }

    [TestCase(800, 64, 12544)]
    [TestCase(25, 32, 50176)]
    [TestCase(9, 4, 10)]
    [TestCase(4096, 4096, 1 << 20)]
    public void TheFilterGradientsSlicesCoverEveryPositionOnce(int k, int o, int positions)
    {
        var (splits, chunk) = GpuConvKernels.Splits(k, o, positions, 132);
        Assert.That(chunk % GpuGemm.TileDepth, Is.Zero);
        Assert.That((long)(splits - 1) * chunk, Is.LessThan(positions), "no empty slice");
        Assert.That((long)splits * chunk, Is.GreaterThanOrEqualTo(positions), "every position in a slice");
        Assert.That(splits, Is.InRange(1, 1024));
    }

    [Test]
    public void BiasAddGradSlicesTheBatchOnlyWhereEachSliceHasThousandsOfElements()
    {
        Assert.That(GpuConvKernels.BiasGradSlices(8, 16 * 32 * 32, 1, 132), Is.EqualTo(4), "NHWC sliced case: 16,384 per channel");
        Assert.That(GpuConvKernels.BiasGradSlices(3, 8, 1600, 132), Is.EqualTo(3), "NCHW sliced case: 12,800 per channel");
        Assert.That(GpuConvKernels.BiasGradSlices(32, 64 * 28 * 28, 1, 132), Is.EqualTo(12), "the CNN's first layer: 4 groups per multiprocessor");
        Assert.That(GpuConvKernels.BiasGradSlices(33, 300, 1, 132), Is.EqualTo(1));
        Assert.That(GpuConvKernels.BiasGradSlices(5, 0, 7, 132), Is.EqualTo(1), "empty: one group per channel writes its zero");
    }
}

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
}

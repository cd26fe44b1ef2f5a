using System.Text.RegularExpressions;
using DataflowNet.Kernels.Cpu;
using DataflowNet.Kernels.Gpu;
using NUnit.Framework;

namespace DataflowNet.Tests;

/// <summary>
/// Issue 6's rule: every op has a GPU kernel or is knowingly placed on the CPU, listed (with the reason) in
/// <see cref="GpuKernels.CpuOnly"/> and in the README's GPU section; and values are not moved needlessly.
/// </summary>
public class GpuCoverageTests : GpuTest
{
    [Test]
    public void EveryOpHasAGpuKernelOrIsListedAsCpuOnly()
    {
        var missing = CpuDevice.Instance.BuiltinOpTypes.Where(t => !Gpu.Kernels.Has(t) && !GpuKernels.CpuOnly.ContainsKey(t)).Order().ToList();
        Assert.That(missing, Is.Empty, "ops with neither a GPU kernel nor a CpuOnly entry");
        var stale = GpuKernels.CpuOnly.Keys.Where(t => Gpu.Kernels.Has(t) || !CpuDevice.Instance.BuiltinOpTypes.Contains(t)).Order().ToList();
        Assert.That(stale, Is.Empty, "CpuOnly entries that have a GPU kernel or name no op");
        Assert.That(GpuKernels.CpuOnly.Values, Has.All.Length.GreaterThan(20), "each CPU-only op says why");
    }

    [Test]
    public void EveryFloatOpWithAGpuKernelTakesFloat32There()
    {
        // A float op registered on the GPU for other dtypes only would quietly leave float32 graphs on the CPU.
        var noFloat32 = Gpu.Kernels.Entries
            .Where(e => e.Types is not null && !e.Types.Contains(DataType.Float32) && !e.Types.Contains(DataType.Bool))
            .Select(e => e.OpType).ToList();
        Assert.That(noFloat32, Is.Empty);
    }

    [Test]
    public void TheReadmeNamesEveryCpuOnlyOp()
    {
        var readme = File.ReadAllText(Path.Combine(Repository.Root, "README.md"));
        var section = Regex.Match(readme, @"## Devices: placement, the GPU device(.*?)\n## ", RegexOptions.Singleline).Groups[1].Value;
        var unnamed = GpuKernels.CpuOnly.Keys.Where(op => !section.Contains($"`{op}`")).Order().ToList();
        Assert.That(unnamed, Is.Empty, "CPU-only ops the README's GPU section does not name");
    }

    [Test]
    public void ShapeOfADeviceTensorIsReadWithoutCopyingItBack()
    {
        var x = tf.placeholder(tf.float32, shape: new TensorShape(-1, 3), name: "x");
        var y = tf.matmul(x, tf.constant(new float[,] { { 1, 2 }, { 3, 4 }, { 5, 6 } }), name: "y");
        var shape = tf.shape(y, name: "shape_of_y");
        var plan = Plan.Build(tf.get_default_graph(), [shape], [x], [Gpu, CpuDevice.Instance], new ConfigProto(), new VariableStore());
        Assert.That(plan.Steps.First(s => s.Op == shape.op).Kernel, Is.SameAs(Gpu.Kernels.Find(shape.op, Gpu.Name)));
        var copiesBack = plan.Steps.Where(s => s.Op.type == GpuKernels.Copy.ToHost).Select(s => s.Op.inputs[0].name).ToList();
        Assert.That(copiesBack, Is.Empty, "y stays on the device: its shape is read from its dims");
        using var sess = tf.Session(config: new ConfigProto { Devices = [Gpu] });
        AssertValue(sess.run(shape, (x, new float[5, 3])), new[] { 5, 2 }, [2]);
    }
}

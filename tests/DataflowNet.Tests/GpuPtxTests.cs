using System.Reflection;
using System.Text.RegularExpressions;
using DataflowNet.Kernels.Gpu;
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.PTX;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;
using NUnit.Framework;

namespace DataflowNet.Tests;

/// <summary>
/// Every GPU kernel compiled to PTX for an H100 (sm_90), as CUDA would load it, without a GPU: ILGPU's PTX backend
/// needs no driver. The CPU accelerator the other GPU tests use runs kernels as .NET code, so it never shows what
/// only the PTX backend does: constructs it refuses, math lowered to approximate instructions (ex2/lg2/tanh.approx,
/// which is why GpuMath exists), or shared memory past a group's limit. Generic kernels are compiled once per
/// operator struct that fits them, and the fused kernel for every unary and binary operator.
/// </summary>
public class GpuPtxTests
{
    /// <summary>Each kernel's name and PTX, or why it did not compile.</summary>
    private static readonly Lazy<IReadOnlyList<(string Kernel, string Ptx, string? Error)>> Results = new(() => KernelMethods().Select(k =>
    {
        try { return (Describe(k), Compile(k), (string?)null); }
        catch (Exception e) { return (Describe(k), "", $"{e.GetType().Name}: {e.Message}"); }
    }).ToList());

    private static IEnumerable<(string Kernel, string Ptx)> Compiled => Results.Value.Where(r => r.Error is null).Select(r => (r.Kernel, r.Ptx));

    [Test]
    public void EveryKernelCompilesToPtxForTheH100()
    {
        Assert.That(Results.Value.Where(r => r.Error is not null).Select(r => $"{r.Kernel}: {r.Error}"), Is.Empty);
        var compiled = Results.Value.Select(r => r.Kernel).ToList();
        // Every kernel method of the source and every operator struct are in: the enumeration misses nothing.
        var definitions = KernelDefinitions().Select(Describe).ToHashSet();
        Assert.That(definitions, Has.Count.GreaterThanOrEqualTo(40));
        var reached = KernelMethods().Select(m => Describe(m.IsGenericMethod ? m.GetGenericMethodDefinition() : m)).ToHashSet();
        Assert.That(definitions.Except(reached), Is.Empty, "kernels no instantiation reached");
        var operators = OperatorStructs().Select(t => t.Name).ToList();
        Assert.That(operators.Where(op => !compiled.Any(c => c.Contains(op))), Is.Empty, "operators no kernel was compiled with");
    }

    [Test]
    public void NoKernelUsesApproximateOrFlushToZeroMath()
    {
        // The CPU device computes exp/log/tanh/division to float precision; the GPU must not drift from it.
        var approximate = Compiled
            .SelectMany(k => Regex.Matches(k.Ptx, @"\b[a-z0-9]+(\.[a-z0-9]+)*\.(approx|ftz)\b(\.[a-z0-9]+)*").Select(m => $"{m.Value} in {k.Kernel}"))
            .Distinct().ToList();
        Assert.That(approximate, Is.Empty);
    }

    [Test]
    public void SharedMemoryOfEveryKernelFitsAGroupsStaticLimit()
    {
        // CUDA allows 48 KiB of static shared memory per group; more fails at load time, on the GPU only.
        foreach (var (kernel, ptx) in Compiled)
        {
            var declarations = Regex.Matches(ptx, @"\.shared\s+\.align\s+\d+\s+\.b8\s+\S+\[(\d+)\]");
            // Every declaration is one this pattern reads (else a kernel's shared memory would go uncounted).
            Assert.That(declarations, Has.Count.EqualTo(Regex.Matches(ptx, @"^\s*\.shared\s", RegexOptions.Multiline).Count), kernel);
            Assert.That(declarations.Sum(m => long.Parse(m.Groups[1].Value)), Is.LessThanOrEqualTo(48 * 1024), kernel);
        }
        Assert.That(Compiled.Count(k => k.Ptx.Contains(".shared")), Is.GreaterThanOrEqualTo(3), "the tiled matmul, conv and grouped reduction kernels use shared memory");
    }

    [Test]
    public void ThePtxBackendSeesWhatTheCpuAcceleratorDoesNot()
    {
        // The reason for this file: MathF.Exp compiles on the CPU accelerator to .NET's exp, on PTX to ex2.approx.
        var ptx = Compile(typeof(GpuPtxTests).GetMethod(nameof(ApproximateExpKernel), BindingFlags.NonPublic | BindingFlags.Static)!);
        Assert.That(ptx, Does.Contain("ex2.approx"));
        var exp = Compiled.Where(k => k.Kernel.Contains(nameof(ExpOp))).ToList();
        Assert.That(exp, Has.Count.GreaterThanOrEqualTo(3), "Exp's elementwise kernels and its fused one");
        Assert.That(exp.Where(k => k.Ptx.Contains("ex2")).Select(k => k.Kernel), Is.Empty);
    }

    [Test]
    public void AddSubAndMulAreRoundedAsWrittenSoAFusedMultiplyAddGivesTheCpusBits()
    {
        // Without a rounding modifier the PTX assembler may turn a mul followed by an add into one fma (one rounding).
        foreach (var (op, instruction) in new[] { (nameof(AddOp), "add"), (nameof(SubOp), "sub"), (nameof(MulOp), "mul") })
            Assert.That(Compiled.Single(k => k.Kernel == $"GpuElementwiseKernels.SameShapeKernel[{op}]").Ptx, Does.Contain($"{instruction}.rn.f32"), op);
        var fused = Compiled.Single(k => k.Kernel == $"GpuFusedKernels.FusedKernel[{TypeName(MultiplyAdd)}]").Ptx;
        Assert.That(fused, Does.Contain("mul.rn.f32").And.Contain("add.rn.f32").And.Not.Contain("fma"));
    }

    private static void ApproximateExpKernel(Index1D i, ArrayView1D<float, Stride1D.Dense> x) => x[i] = MathF.Exp(x[i]);

    private static readonly Lazy<(Context Context, PTXBackend Backend)> H100 = new(() =>
    {
        var context = GpuDevice.CreateCudaContext(); // CUDA's context as the device makes it; no driver needed to compile
        var sm90 = CudaArchitecture.SM_90;
        return (context, new PTXBackend(context, new CudaCapabilityContext(sm90), sm90, CudaInstructionSet.ISA_80, nvvmAPI: null));
    });

    private static readonly Lock CompileLock = new();

    private static string Compile(MethodInfo kernel)
    {
        var entry = kernel.GetParameters()[0].ParameterType.Name.StartsWith("Index")
            ? EntryPointDescription.FromImplicitlyGroupedKernel(kernel)
            : EntryPointDescription.FromExplicitlyGroupedKernel(kernel);
        lock (CompileLock) return ((PTXCompiledKernel)H100.Value.Backend.Compile(entry, new KernelSpecialization())).PTXAssembly;
    }

    private static string Describe(MethodInfo m) =>
        $"{m.DeclaringType!.Name}.{m.Name}" + (m.IsGenericMethod ? $"[{string.Join(", ", m.GetGenericArguments().Select(TypeName))}]" : "");

    private static string TypeName(Type t) =>
        t.IsGenericType ? $"{t.Name[..t.Name.IndexOf('`')]}<{string.Join(", ", t.GetGenericArguments().Select(TypeName))}>" : t.Name;

    /// <summary>The kernel methods as written: static, void, in Kernels/Gpu, named *Kernel*, taking array views.</summary>
    private static IEnumerable<MethodInfo> KernelDefinitions() =>
        typeof(GpuDevice).Assembly.GetTypes()
            .Where(t => t.Namespace == typeof(GpuDevice).Namespace)
            .SelectMany(t => t.GetMethods(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
            .Where(m => m.ReturnType == typeof(void) && m.Name.Contains("Kernel")
                        && m.GetParameters().Any(p => p.ParameterType.IsGenericType && p.ParameterType.GetGenericTypeDefinition() == typeof(ArrayView1D<,>)));

    /// <summary>The GPU's operator structs: elementwise (GpuOperators.cs), reductions, and the tiled product's problems.</summary>
    private static IEnumerable<Type> OperatorStructs() =>
        typeof(GpuDevice).Assembly.GetTypes().Where(t => t.IsValueType && !t.IsGenericTypeDefinition && t.GetInterfaces().Any(i =>
            i == typeof(IGemmProblem) || i.IsGenericType && i.Namespace == typeof(GpuDevice).Namespace
            && (i.GetGenericTypeDefinition() == typeof(IUnaryOp<,>) || i.GetGenericTypeDefinition() == typeof(IBinaryOp<,>) || i.GetGenericTypeDefinition() == typeof(IReduction<>))));

    /// <summary>Each kernel, generic ones once per operator struct that satisfies their constraints.</summary>
    private static IEnumerable<MethodInfo> KernelMethods()
    {
        foreach (var kernel in KernelDefinitions())
        {
            if (!kernel.IsGenericMethodDefinition) yield return kernel;
            else if (kernel.Name == nameof(GpuFusedKernels.FusedKernel))
                foreach (var expr in FusedExpressions()) yield return kernel.MakeGenericMethod(expr);
            else
                foreach (var m in OperatorStructs().Select(op => Instantiate(kernel, op)).OfType<MethodInfo>().DistinctBy(m => m.ToString())) yield return m;
        }
    }

    /// <summary>
    /// <paramref name="kernel"/> with its operator parameter bound to <paramref name="op"/> and the element types
    /// read off the operator's interface (<c>IBinaryOp&lt;float, byte&gt;</c> gives TIn and TOut); null where it does not fit.
    /// </summary>
    private static MethodInfo? Instantiate(MethodInfo kernel, Type op)
    {
        var parameters = kernel.GetGenericArguments();
        foreach (var p in parameters)
            foreach (var constraint in p.GetGenericParameterConstraints().Where(c => c.IsInterface))
                foreach (var implemented in op.GetInterfaces().Where(i => i == constraint || i.IsGenericType && constraint.IsGenericType && i.GetGenericTypeDefinition() == constraint.GetGenericTypeDefinition()))
                {
                    var binding = new Dictionary<Type, Type> { [p] = op };
                    for (int k = 0; k < constraint.GenericTypeArguments.Length; k++)
                        if (constraint.GenericTypeArguments[k].IsGenericParameter) binding[constraint.GenericTypeArguments[k]] = implemented.GenericTypeArguments[k];
                    if (!parameters.All(binding.ContainsKey)) continue;
                    try { return kernel.MakeGenericMethod(parameters.Select(x => binding[x]).ToArray()); }
                    catch (ArgumentException) { } // another constraint refuses it
                }
        return null;
    }

    /// <summary>Fused chains using each fusable operator once, over each kind of leaf.</summary>
    private static IEnumerable<Type> FusedExpressions()
    {
        var ops = OperatorStructs().ToList();
        var unary = ops.Where(t => typeof(IUnaryOp).IsAssignableFrom(t)).ToList();
        var binary = ops.Where(t => typeof(IBinaryOp).IsAssignableFrom(t)).ToList();
        Type Unary(Type op, Type a) => typeof(GpuFusedKernels.Unary<,>).MakeGenericType(op, a);
        Type Binary(Type op, Type a, Type b) => typeof(GpuFusedKernels.Binary<,,>).MakeGenericType(op, a, b);
        foreach (var op in unary) yield return Unary(op, typeof(GpuFusedKernels.Full));
        foreach (var op in binary)
            yield return Binary(op, Unary(typeof(ReluOp), typeof(GpuFusedKernels.Full)), Binary(op, typeof(GpuFusedKernels.Row), typeof(GpuFusedKernels.Broadcast)));
        yield return MultiplyAdd; // x*w + b
    }

    private static readonly Type MultiplyAdd = typeof(GpuFusedKernels.Binary<AddOp, GpuFusedKernels.Binary<MulOp, GpuFusedKernels.Full, GpuFusedKernels.Full>, GpuFusedKernels.Row>);
}

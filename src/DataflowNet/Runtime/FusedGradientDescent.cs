using System.Numerics;
using DataflowNet.Kernels.Cpu;

namespace DataflowNet;

/// <summary>
/// Plan-time fusion of a weight gradient's product into its gradient-descent update: ApplyGradientDescent(w, lr,
/// MatMul(x, dy)) runs as one blocked product that stores w − lr·op(x)·op(dy) straight into the variable's staged
/// buffer (<see cref="Gemm.MultiplyAdd{T}(ReadOnlySpan{T}, bool, ReadOnlySpan{T}, bool, T, ReadOnlySpan{T}, Span{T}, int, int, int)"/>
/// scales and adds as each register tile is stored). The gradient is never written out, and the update's own pass
/// over three weight-sized arrays disappears: the dense layers' dW products of every training step.
/// </summary>
internal static class FusedGradientDescent
{
    /// <summary>Off: plans built from now on keep product and update apart (tests compare the two; benchmarks measure the gain).</summary>
    internal static bool Enabled = true;

    /// <summary>
    /// The MatMul that <paramref name="update"/> can absorb: its delta, on the CPU, float32/float64, consumed by the update
    /// alone (not fetched, fed or a control input), not statically shaped unlike the variable, and not reading a variable
    /// directly (the fused product runs where the update runs, after other updates may have been staged).
    /// </summary>
    public static Operation? Absorbable(Operation update, IReadOnlyDictionary<Tensor, List<Operation>> consumers,
        HashSet<Tensor> fetched, HashSet<Tensor> fed, HashSet<Operation> controlled, Func<Operation, bool> onCpu)
    {
        if (!Enabled || update.type != "ApplyGradientDescent" || !onCpu(update)) return null;
        var delta = update.inputs[2];
        var product = delta.op;
        if (product.type != "MatMul" || !onCpu(product) || delta.dtype is not (DataType.Float32 or DataType.Float64)) return null;
        if (fetched.Contains(delta) || fed.Contains(delta) || controlled.Contains(product)) return null;
        if (!consumers.TryGetValue(delta, out var users) || users.Count != 1) return null;
        var variable = update.inputs[0];
        // Static shapes of gradients are often partly unknown (reshapes by dynamic shapes); the kernel checks the run's.
        if (!variable.shape.IsCompatibleWith(delta.shape)) return null;
        if (product.inputs.Any(i => i.op.type == "VariableV2")) return null;
        return product;
    }

    /// <summary>The group's leaves, in the order the kernel reads them: the product's two operands, then the learning rate.</summary>
    public static List<Tensor> Leaves(Operation update, Operation product) => [product.inputs[0], product.inputs[1], update.inputs[1]];

    public static Kernel Compile(Fusion.Group g)
    {
        var product = g.Ops[0];
        bool ta = product.get_attr<bool>("transpose_a"), tb = product.get_attr<bool>("transpose_b");
        // A bad shape is the product's error, reported as its own MatMul kernel reports it.
        Func<string, Exception> productError = message => new InvalidArgumentException($"{message}\n\tin op {product.Describe()}") { Op = product };
        return ctx =>
        {
            var action = new UpdateAction(ctx, productError, ta, tb);
            TypeSwitch.Float(ctx.Input(0).dtype, ref action);
        };
    }

    private readonly struct UpdateAction(KernelContext ctx, Func<string, Exception> productError, bool ta, bool tb) : IFloatAction
    {
        public void Invoke<T>() where T : unmanaged, IFloatingPointIeee754<T>
        {
            var x = ctx.Input(0);
            var dy = ctx.Input(1);
            var (m, k, n) = MatMulKernels.Dims(x.Dims, dy.Dims, ta, tb, productError);
            var cell = ctx.SelfCell!;
            var current = ctx.Run.ReadVariable(cell);
            if (current.ndim != 2 || current.Dims[0] != m || current.Dims[1] != n)
                throw ctx.Error($"var and grad do not have the same shape: {TensorShape.Format(current.Dims)} vs {TensorShape.Format([m, n])}.");
            T rate = ctx.ScalarInput<T>(2);
            var target = ctx.Run.StageWrite(cell, current.dtype, current.Dims);
            ctx.SetOutput(0, target);
            if (Gemm.Supports<T>())
                Gemm.MultiplyAdd<T>(x.Buffer<T>(), ta, dy.Buffer<T>(), tb, -rate, current.Buffer<T>(), target.Buffer<T>(), m, k, n);
            else
                throw new NotSupportedException($"No fused update for {typeof(T).Name}."); // excluded by Absorbable
        }
    }
}

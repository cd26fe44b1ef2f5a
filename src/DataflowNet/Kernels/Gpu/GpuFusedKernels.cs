using ILGPU;
using ILGPU.Runtime;

using V = ILGPU.Runtime.ArrayView1D<float, ILGPU.Stride1D.Dense>;

namespace DataflowNet.Kernels.Gpu;

/// <summary>
/// A fused elementwise chain on the GPU: one kernel, one thread per output element, reads every leaf once and writes
/// the result once, so the chain's intermediates never go to global memory. As on the CPU (<see cref="FusedLoop"/>),
/// the chain is a tree of small generic structs (<c>Binary&lt;AddOp, Full, Row&gt;</c>) built once per group with
/// <see cref="Type.MakeGenericType"/>; ILGPU specializes the kernel for that type. Operators are the GPU's own structs
/// (GpuOperators.cs), so a fused chain computes what the separate kernels compute.
/// </summary>
internal static class GpuFusedKernels
{
    private static readonly Dictionary<string, Type> UnaryOps = new()
    {
        ["Neg"] = typeof(NegOp), ["Abs"] = typeof(AbsOp), ["Square"] = typeof(SquareOp), ["Relu"] = typeof(ReluOp),
        ["Sqrt"] = typeof(SqrtOp), ["Reciprocal"] = typeof(ReciprocalOp), ["Exp"] = typeof(ExpOp), ["Log"] = typeof(LogOp),
        ["Tanh"] = typeof(TanhOp), ["Sigmoid"] = typeof(SigmoidOp),
    };

    private static readonly Dictionary<string, Type> BinaryOps = new()
    {
        ["AddV2"] = typeof(AddOp), ["BiasAdd"] = typeof(AddOp), ["Sub"] = typeof(SubOp), ["Mul"] = typeof(MulOp),
        ["RealDiv"] = typeof(DivOp), ["Maximum"] = typeof(MaxOp), ["Minimum"] = typeof(MinOp),
    };

    /// <summary>Most ops in one fused kernel: the expression type nests a generic level per op.</summary>
    private const int MaxOps = 16;

    /// <summary>Whether the GPU can run this op inside a fused kernel.</summary>
    public static bool Fusable(Operation op) =>
        op.outputs[0].dtype == DataType.Float32 && (UnaryOps.ContainsKey(op.type) || BinaryOps.ContainsKey(op.type));

    /// <summary>
    /// How each leaf of a GPU group is read, decided from static shapes so that no run can need broadcasting the
    /// fused kernel does not do; null when the group cannot be fused on the GPU. Either every full-size leaf has one
    /// fully known shape, or there is a single full-size leaf; the others are scalars (one element) or rows (the
    /// full leaf's known trailing dims, a bias).
    /// </summary>
    public static FusedLoop.LeafKind[]? Layout(Fusion.Group g)
    {
        if (g.Ops.Count > MaxOps || !g.Ops.All(Fusable)) return null;
        // Left-deep trees only: a binary node whose right operand is itself a node (Binary<Op, Leaf, Binary<...>>)
        // made ILGPU 1.5.3's compiler fail with a NullReferenceException on the CPU accelerator.
        var produced = g.Ops.Select(o => o.outputs[0]).ToHashSet();
        if (g.Ops.Any(o => o.inputs.Length == 2 && produced.Contains(o.inputs[1]))) return null;
        var output = g.Ops[^1].outputs[0].shape;
        if (output.IsUnknownRank) return null;
        var kinds = new FusedLoop.LeafKind[g.Leaves.Count];
        var full = new List<TensorShape>();
        for (int i = 0; i < kinds.Length; i++)
        {
            var s = g.Leaves[i].shape;
            if (s.IsUnknownRank) return null;
            if (s.IsFullyDefined && s.Dims.All(d => d == 1) && !(output.IsFullyDefined && output.Dims.All(d => d == 1)))
                kinds[i] = FusedLoop.LeafKind.Scalar;
            else if (s.Rank == output.Rank && s.IsCompatibleWith(output))
            {
                kinds[i] = FusedLoop.LeafKind.Full;
                full.Add(s);
            }
            else if (s.IsFullyDefined && s.Rank < output.Rank && s.Rank > 0
                     && s.Dims.AsSpan().SequenceEqual(output.Dims.AsSpan(output.Rank - s.Rank)))
                kinds[i] = FusedLoop.LeafKind.Row;
            else return null;
        }
        bool single = full.Count == 1, allKnown = full.Count > 0 && full.All(s => s.IsFullyDefined && s.Equals(full[0]));
        if (!single && !allKnown) return null;
        // Rows need the full leaf's trailing dims known statically, so they hold at run time.
        return kinds;
    }

    /// <summary>The kernel that runs a GPU group, with its leaves read as <paramref name="kinds"/> says.</summary>
    public static Kernel Compile(Fusion.Group g, GpuDevice device, FusedLoop.LeafKind[] kinds)
    {
        var index = new Dictionary<Tensor, int>();
        for (int i = 0; i < g.Ops.Count; i++) index[g.Ops[i].outputs[0]] = i;
        var order = new List<int>();
        Type Node(Tensor t)
        {
            if (!index.TryGetValue(t, out var at))
            {
                int leaf = g.Leaves.IndexOf(t);
                order.Add(leaf);
                return kinds[leaf] switch { FusedLoop.LeafKind.Full => typeof(Full), FusedLoop.LeafKind.Scalar => typeof(Broadcast), _ => typeof(Row) };
            }
            var op = g.Ops[at];
            if (op.inputs.Length == 1) return typeof(Unary<,>).MakeGenericType(UnaryOps[op.type], Node(op.inputs[0]));
            var left = Node(op.inputs[0]); // construction order: left subtree first, as Create binds them
            return typeof(Binary<,,>).MakeGenericType(BinaryOps[op.type], left, Node(op.inputs[1]));
        }
        var expr = Node(g.Ops[^1].outputs[0]);
        var launcher = (ILauncher)Activator.CreateInstance(typeof(Launcher<>).MakeGenericType(expr), device, order.ToArray())!;
        int[] order2 = order.ToArray();
        return ctx =>
        {
            device.Bind();
            // The output has the shape of the full leaf (the largest); rows repeat along its last axes.
            TensorValue? shapeOf = null;
            for (int i = 0; i < ctx.NumInputs; i++)
                if (kinds[i] == FusedLoop.LeafKind.Full) { shapeOf = ctx.Input(i); break; }
            var dims = shapeOf!.Dims;
            int n = shapeOf.size, rowLength = 0;
            for (int i = 0; i < ctx.NumInputs; i++)
            {
                var leaf = ctx.Input(i);
                bool ok = kinds[i] switch
                {
                    FusedLoop.LeafKind.Full => leaf.Dims.AsSpan().SequenceEqual(dims),
                    FusedLoop.LeafKind.Scalar => leaf.size == 1,
                    _ => (rowLength == 0 || rowLength == leaf.size) && (rowLength = leaf.size) > 0 && n % leaf.size == 0,
                };
                if (!ok)
                    throw ctx.Error($"Internal error: leaf {i} of a fused GPU chain has shape {TensorShape.Format(leaf.Dims)}, not the layout planned for output shape {TensorShape.Format(dims)}.");
            }
            var y = ctx.AllocateDeviceOutput(0, device, dims);
            if (n > 0) launcher.Launch(ctx, order2, y, n, rowLength);
        };
    }

    /// <summary>The leaves' device views in tree order, handed to the expression's nodes as they are built.</summary>
    internal ref struct Binder(ReadOnlySpan<V> views, int rowLength)
    {
        private readonly ReadOnlySpan<V> _views = views;
        private int _next;
        public readonly int RowLength = rowLength;
        public V Next() => _views[_next++];
    }

    internal interface IExpr<TSelf> where TSelf : struct, IExpr<TSelf>
    {
        static abstract TSelf Create(ref Binder binder);
        float Eval(int i);
    }

    internal readonly struct Full(V view) : IExpr<Full>
    {
        private readonly V _view = view;
        public static Full Create(ref Binder binder) => new(binder.Next());
        public float Eval(int i) => _view[i];
    }

    internal readonly struct Row(V view, int length) : IExpr<Row>
    {
        private readonly V _view = view;
        private readonly int _length = length;
        public static Row Create(ref Binder binder) => new(binder.Next(), binder.RowLength);
        public float Eval(int i) => _view[i % _length];
    }

    /// <summary>A one-element leaf, read on the device (no copy back to the host to learn its value).</summary>
    internal readonly struct Broadcast(V view) : IExpr<Broadcast>
    {
        private readonly V _view = view;
        public static Broadcast Create(ref Binder binder) => new(binder.Next());
        public float Eval(int i) => _view[0];
    }

    internal readonly struct Unary<TOp, TA>(TA a) : IExpr<Unary<TOp, TA>> where TOp : struct, IUnaryOp where TA : struct, IExpr<TA>
    {
        private readonly TA _a = a;
        public static Unary<TOp, TA> Create(ref Binder binder) => new(TA.Create(ref binder));
        public float Eval(int i) => default(TOp).Apply(_a.Eval(i));
    }

    internal readonly struct Binary<TOp, TA, TB>(TA a, TB b) : IExpr<Binary<TOp, TA, TB>>
        where TOp : struct, IBinaryOp where TA : struct, IExpr<TA> where TB : struct, IExpr<TB>
    {
        private readonly TA _a = a;
        private readonly TB _b = b;
        public static Binary<TOp, TA, TB> Create(ref Binder binder)
        {
            var left = TA.Create(ref binder);
            return new(left, TB.Create(ref binder));
        }
        public float Eval(int i) => default(TOp).Apply(_a.Eval(i), _b.Eval(i));
    }

    internal static void FusedKernel<TExpr>(Index1D i, TExpr expr, V output) where TExpr : struct, IExpr<TExpr> => output[i] = expr.Eval(i);

    private interface ILauncher
    {
        void Launch(KernelContext ctx, int[] order, TensorValue output, int n, int rowLength);
    }

    private sealed class Launcher<TExpr>(GpuDevice device, int[] order) : ILauncher where TExpr : struct, IExpr<TExpr>
    {
        // Compiled on first use, as the other GPU kernels.
        private readonly Lazy<Action<Index1D, TExpr, V>> _kernel = new(() =>
            device.Accelerator.LoadAutoGroupedStreamKernel<Index1D, TExpr, V>(FusedKernel<TExpr>));
        private readonly V[] _views = new V[order.Length];

        public void Launch(KernelContext ctx, int[] leafOrder, TensorValue output, int n, int rowLength)
        {
            lock (_views)
            {
                for (int k = 0; k < leafOrder.Length; k++) _views[k] = GpuKernels.View(ctx.Input(leafOrder[k]), ctx, leafOrder[k]);
                var binder = new Binder(_views, rowLength);
                var expr = TExpr.Create(ref binder);
                _kernel.Value(n, expr, GpuKernels.View(output, ctx, 0));
                Array.Clear(_views);
            }
        }
    }
}

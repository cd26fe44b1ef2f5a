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
        // A row must be the full leaf's trailing dims, known statically: the output's static trailing dims are not
        // enough (a full leaf [?, ?] plus a row [3] broadcasts a fed [3, 1] to [3, 3]).
        for (int i = 0; i < kinds.Length; i++)
        {
            if (kinds[i] != FusedLoop.LeafKind.Row) continue;
            var row = g.Leaves[i].shape.Dims;
            var f = full[0];
            if (f.Rank < row.Length || !f.Dims.AsSpan(f.Rank - row.Length).SequenceEqual(row)) return null;
        }
        return kinds;
    }

    /// <summary>
    /// The kernel that runs a GPU group (its leaves read as <see cref="Layout"/> decides), compiled for the device now,
    /// at plan time; null when the group cannot be fused (its layout) or ILGPU cannot compile it: then the group's ops
    /// run op by op, each on its own kernel, rather than the run failing.
    /// </summary>
    public static Kernel? TryCompile(Fusion.Group g, GpuDevice device)
    {
        if (Layout(g) is not { } kinds) return null;
        try
        {
            device.Bind();
            return Compile(g, device, kinds);
        }
        catch (Exception e) when (e is ILGPU.InternalCompilerException or NotSupportedException or InvalidOperationException or ILGPU.Runtime.Cuda.CudaException)
        {
            return null;
        }
    }

    private static Kernel Compile(Fusion.Group g, GpuDevice device, FusedLoop.LeafKind[] kinds)
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
        if (order.Count > MaxLeaves) throw new NotSupportedException($"A fused GPU chain reads at most {MaxLeaves} leaves; this one reads {order.Count}.");
        var launcher = (ILauncher)Activator.CreateInstance(typeof(Launcher<>).MakeGenericType(expr), device)!;
        launcher.Load();
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
                    _ => (rowLength == 0 || rowLength == leaf.size) && (rowLength = leaf.size) > 0
                         && leaf.ndim <= dims.Length && leaf.Dims.AsSpan().SequenceEqual(dims.AsSpan(dims.Length - leaf.ndim)),
                };
                if (!ok)
                    throw ctx.Error($"Internal error: leaf {i} of a fused GPU chain has shape {TensorShape.Format(leaf.Dims)}, not the layout planned for output shape {TensorShape.Format(dims)}.");
            }
            var y = ctx.AllocateDeviceOutput(0, device, dims);
            if (n > 0) launcher.Launch(ctx, order2, y, n, rowLength);
        };
    }

    /// <summary>
    /// Hands each leaf node, in tree order, its parameter slot (and the row length). The views themselves are kernel
    /// parameters, not fields of the tree: ILGPU 1.5.3's compiler failed (LowerPointerViews) on views inside nested
    /// generic structs, while views as parameters are what every other kernel here uses.
    /// </summary>
    internal struct Binder(int rowLength)
    {
        private int _next;
        public readonly int RowLength = rowLength;
        public int NextSlot() => _next++;
    }

    /// <summary>Most leaf reads in one fused kernel: the views travel as this many kernel parameters.</summary>
    public const int MaxLeaves = 4;

    internal interface IExpr<TSelf> where TSelf : struct, IExpr<TSelf>
    {
        static abstract TSelf Create(ref Binder binder);
        float Eval(int i, V l0, V l1, V l2, V l3);
    }

    private static float Read(int slot, int i, V l0, V l1, V l2, V l3) =>
        slot == 0 ? l0[i] : slot == 1 ? l1[i] : slot == 2 ? l2[i] : l3[i];

    internal readonly struct Full(int slot) : IExpr<Full>
    {
        private readonly int _slot = slot;
        public static Full Create(ref Binder binder) => new(binder.NextSlot());
        public float Eval(int i, V l0, V l1, V l2, V l3) => Read(_slot, i, l0, l1, l2, l3);
    }

    internal readonly struct Row(int slot, int length) : IExpr<Row>
    {
        private readonly int _slot = slot, _length = length;
        public static Row Create(ref Binder binder) => new(binder.NextSlot(), binder.RowLength);
        public float Eval(int i, V l0, V l1, V l2, V l3) => Read(_slot, i % _length, l0, l1, l2, l3);
    }

    /// <summary>A one-element leaf, read on the device (no copy back to the host to learn its value).</summary>
    internal readonly struct Broadcast(int slot) : IExpr<Broadcast>
    {
        private readonly int _slot = slot;
        public static Broadcast Create(ref Binder binder) => new(binder.NextSlot());
        public float Eval(int i, V l0, V l1, V l2, V l3) => Read(_slot, 0, l0, l1, l2, l3);
    }

    internal readonly struct Unary<TOp, TA>(TA a) : IExpr<Unary<TOp, TA>> where TOp : struct, IUnaryOp where TA : struct, IExpr<TA>
    {
        private readonly TA _a = a;
        public static Unary<TOp, TA> Create(ref Binder binder) => new(TA.Create(ref binder));
        public float Eval(int i, V l0, V l1, V l2, V l3) => default(TOp).Apply(_a.Eval(i, l0, l1, l2, l3));
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
        public float Eval(int i, V l0, V l1, V l2, V l3) => default(TOp).Apply(_a.Eval(i, l0, l1, l2, l3), _b.Eval(i, l0, l1, l2, l3));
    }

    internal static void FusedKernel<TExpr>(Index1D i, TExpr expr, V l0, V l1, V l2, V l3, V output) where TExpr : struct, IExpr<TExpr> =>
        output[i] = expr.Eval(i, l0, l1, l2, l3);

    private interface ILauncher
    {
        /// <summary>Compiles and loads the kernel (throws what ILGPU's compiler throws).</summary>
        void Load();

        void Launch(KernelContext ctx, int[] order, TensorValue output, int n, int rowLength);
    }

    private sealed class Launcher<TExpr>(GpuDevice device) : ILauncher where TExpr : struct, IExpr<TExpr>
    {
        private Action<Index1D, TExpr, V, V, V, V, V>? _kernel;

        public void Load() => _kernel = device.Accelerator.LoadAutoGroupedStreamKernel<Index1D, TExpr, V, V, V, V, V>(FusedKernel<TExpr>);

        public void Launch(KernelContext ctx, int[] leafOrder, TensorValue output, int n, int rowLength)
        {
            var y = GpuKernels.View(output, ctx, 0);
            // Unused slots get the output's view (never read).
            V Slot(int k) => k < leafOrder.Length ? GpuKernels.View(ctx.Input(leafOrder[k]), ctx, leafOrder[k]) : y;
            var binder = new Binder(rowLength);
            var expr = TExpr.Create(ref binder);
            _kernel!(n, expr, Slot(0), Slot(1), Slot(2), Slot(3), y);
        }
    }
}

using ILGPU;
using ILGPU.Runtime;

using V = ILGPU.Runtime.ArrayView1D<float, ILGPU.Stride1D.Dense>;

namespace DataflowNet.Kernels.Gpu;

/// <summary>
/// The GPU device's kernels (float32). As on the CPU, an operator is a small struct and one generic kernel serves
/// every operator: ILGPU specializes <c>Unary&lt;TOp&gt;</c> and <c>Binary&lt;TOp&gt;</c> per struct, with no virtual
/// calls on the device. Ops without a kernel here are placed on the CPU (see the README's GPU section).
/// </summary>
internal static class GpuKernels
{
    /// <summary>Inputs a GPU kernel reads on the host (axes, shapes): the plan does not copy them to the device.</summary>
    public static readonly Dictionary<string, int[]> HostMemoryInputs = new()
    {
        ["Sum"] = [1], ["Mean"] = [1], ["ApplyGradientDescent"] = [1], ["ApplyMomentum"] = [2, 4], ["Reshape"] = [1], ["ExpandDims"] = [1],
    };

    public static KernelRegistry Registry(GpuDevice device)
    {
        var r = new KernelRegistry();
        var f32 = new[] { DataType.Float32 };
        var acc = device.Accelerator;

        // The copies the plan inserts where an edge crosses between the CPU and this device.
        r.Register(Copy.ToDevice, null, ctx => ctx.SetOutput(0, device.Upload(ctx.Input(0), ctx.Self)));
        r.Register(Copy.ToHost, null, ctx => ctx.SetOutput(0, ctx.Input(0).Copy()));
        r.Register("Identity", f32, ctx => ctx.SetOutput(0, ctx.Input(0)));
        // A constant is uploaded once per device and kept with its op.
        var constants = new System.Runtime.CompilerServices.ConditionalWeakTable<Operation, TensorValue>();
        r.Register("Const", f32, ctx => ctx.SetOutput(0, constants.GetValue(ctx.Self, op => device.Upload(op.get_attr<TensorValue>("value"), op))));

        Binary<AddOp>(r, acc, device, "AddV2", "Add", "BiasAdd");
        Binary<SubOp>(r, acc, device, "Sub");
        Binary<MulOp>(r, acc, device, "Mul");
        Binary<DivOp>(r, acc, device, "RealDiv");
        Binary<MaxOp>(r, acc, device, "Maximum");
        Binary<MinOp>(r, acc, device, "Minimum");
        Binary<SquaredDifferenceOp>(r, acc, device, "SquaredDifference");
        Binary<ReluGradOp>(r, acc, device, "ReluGrad");
        Binary<SigmoidGradOp>(r, acc, device, "SigmoidGrad");
        Binary<TanhGradOp>(r, acc, device, "TanhGrad");
        Unary<NegOp>(r, acc, device, "Neg");
        Unary<AbsOp>(r, acc, device, "Abs");
        Unary<SquareOp>(r, acc, device, "Square");
        Unary<SqrtOp>(r, acc, device, "Sqrt");
        Unary<ExpOp>(r, acc, device, "Exp");
        Unary<LogOp>(r, acc, device, "Log");
        Unary<TanhOp>(r, acc, device, "Tanh");
        Unary<SigmoidOp>(r, acc, device, "Sigmoid");
        Unary<ReluOp>(r, acc, device, "Relu");
        Unary<ReciprocalOp>(r, acc, device, "Reciprocal");
        r.Register("MatMul", f32, MatMul(acc, device));
        Variables(r, acc, device);
        // Views change only dims, so the CPU's kernels serve: they never touch the elements.
        foreach (var type in new[] { "Reshape", "ExpandDims", "Squeeze" }) r.Register(type, f32, CpuDevice.Instance.Kernels.Get(type));
        var fill = new Lazy<Action<Index1D, V, float>>(() => acc.LoadAutoGroupedStreamKernel<Index1D, V, float>(FillKernel));
        foreach (var (type, value) in new[] { ("ZerosLike", 0f), ("OnesLike", 1f) })
            r.Register(type, f32, ctx =>
            {
                var y = ctx.AllocateDeviceOutput(0, device, ctx.Input(0).Dims);
                if (y.size > 0) fill.Value(y.size, View(y, ctx, 0), value);
            });
        r.Register("Softmax", f32, Softmax(acc, device, log: false));
        r.Register("LogSoftmax", f32, Softmax(acc, device, log: true));
        r.Register("SoftmaxCrossEntropyWithLogits", f32, SoftmaxCrossEntropy(acc, device));
        r.Register("Sum", f32, Reduce(acc, device, mean: false));
        r.Register("Mean", f32, Reduce(acc, device, mean: true));
        return r;
    }

    /// <summary>The op types of the copy steps a plan inserts between devices.</summary>
    public static class Copy
    {
        public const string ToDevice = "_CopyToDevice";
        public const string ToHost = "_CopyToHost";
    }

    private static V View(TensorValue v, KernelContext ctx, int input) =>
        v.OnDevice is GpuBuffer<float> b ? b.View : throw ctx.Error($"input {input} is not a float32 value in GPU memory");

    // ---------- elementwise ----------
    private static void Unary<TOp>(KernelRegistry r, Accelerator acc, GpuDevice device, string type) where TOp : struct, IUnaryOp
    {
        // Compiled on first use: ILGPU compiles one kernel per operator struct.
        var kernel = new Lazy<Action<Index1D, V, V, TOp>>(() => acc.LoadAutoGroupedStreamKernel<Index1D, V, V, TOp>(UnaryKernel<TOp>));
        r.Register(type, [DataType.Float32], ctx =>
        {
            var x = ctx.Input(0);
            var y = ctx.AllocateDeviceOutput(0, device, x.Dims);
            if (x.size > 0) kernel.Value(x.size, View(x, ctx, 0), View(y, ctx, 0), default);
        });
    }

    private static void Binary<TOp>(KernelRegistry r, Accelerator acc, GpuDevice device, params string[] types) where TOp : struct, IBinaryOp
    {
        var same = new Lazy<Action<Index1D, V, V, V, TOp>>(() => acc.LoadAutoGroupedStreamKernel<Index1D, V, V, V, TOp>(SameShapeKernel<TOp>));
        var broadcast = new Lazy<Action<Index1D, V, V, V, Shape6, Shape6, Shape6, int, TOp>>(() =>
            acc.LoadAutoGroupedStreamKernel<Index1D, V, V, V, Shape6, Shape6, Shape6, int, TOp>(BroadcastKernel<TOp>));
        foreach (var type in types)
            r.Register(type, [DataType.Float32], ctx =>
            {
                var (a, b) = (ctx.Input(0), ctx.Input(1));
                var bDims = b.Dims;
                // BiasAdd is a broadcast add along the channel axis: the last one (NHWC), or axis 1 (NCHW): bias seen as [C, 1, 1].
                if (type == "BiasAdd" && ctx.Attr<string>("data_format") == "NCHW" && a.ndim > 2)
                    bDims = [b.size, .. Enumerable.Repeat(1, a.ndim - 2)];
                var outDims = Cpu.Broadcasting.Shape(a.Dims, bDims, ctx.Errors);
                var y = ctx.AllocateDeviceOutput(0, device, outDims);
                if (y.size == 0) return;
                if (a.Dims.AsSpan().SequenceEqual(bDims))
                {
                    same.Value(y.size, View(a, ctx, 0), View(b, ctx, 1), View(y, ctx, 0), default);
                    return;
                }
                if (outDims.Length > Shape6.MaxRank) throw ctx.Error($"GPU broadcasting supports rank {Shape6.MaxRank} at most, got {outDims.Length}");
                Span<int> sa = stackalloc int[outDims.Length], sb = stackalloc int[outDims.Length];
                Cpu.Broadcasting.Strides(a.Dims, outDims, sa);
                Cpu.Broadcasting.Strides(bDims, outDims, sb);
                broadcast.Value(y.size, View(a, ctx, 0), View(b, ctx, 1), View(y, ctx, 0), Shape6.Of(outDims), Shape6.Of(sa), Shape6.Of(sb), outDims.Length, default);
            });
    }

    private static void UnaryKernel<TOp>(Index1D i, V x, V y, TOp op) where TOp : struct, IUnaryOp =>
        y[i] = op.Apply(x[i]);

    private static void SameShapeKernel<TOp>(Index1D i, V a, V b, V y, TOp op)
        where TOp : struct, IBinaryOp => y[i] = op.Apply(a[i], b[i]);

    private static void BroadcastKernel<TOp>(Index1D i, V a, V b, V y,
                                             Shape6 dims, Shape6 strideA, Shape6 strideB, int rank, TOp op) where TOp : struct, IBinaryOp
    {
        int rem = i, offA = 0, offB = 0;
        for (int d = rank - 1; d >= 0; d--)
        {
            int n = dims.Get(d);
            int c = rem % n;
            rem /= n;
            offA += c * strideA.Get(d);
            offB += c * strideB.Get(d);
        }
        y[i] = op.Apply(a[offA], b[offB]);
    }

    // ---------- matmul: 16x16 tiles staged in shared memory ----------
    private const int Tile = 16;

    private static Kernel MatMul(Accelerator acc, GpuDevice device)
    {
        var kernel = new Lazy<Action<KernelConfig, V, V, V, int, int, int, int, int>>(() =>
            acc.LoadStreamKernel<V, V, V, int, int, int, int, int>(MatMulKernel));
        return ctx => MatMulOn(ctx, kernel.Value, device);
    }

    private static void MatMulOn(KernelContext ctx, Action<KernelConfig, V, V, V, int, int, int, int, int> kernel, GpuDevice device)
    {
        var (a, b) = (ctx.Input(0), ctx.Input(1));
        bool ta = ctx.Attr<bool>("transpose_a"), tb = ctx.Attr<bool>("transpose_b");
        if (a.ndim != 2 || b.ndim != 2) throw ctx.Error($"MatMul takes matrices, got shapes {TensorShape.Format(a.Dims)} and {TensorShape.Format(b.Dims)}");
        int m = ta ? a.Dims[1] : a.Dims[0], kk = ta ? a.Dims[0] : a.Dims[1];
        int kb = tb ? b.Dims[1] : b.Dims[0], n = tb ? b.Dims[0] : b.Dims[1];
        if (kk != kb) throw ctx.Error($"Matrix size-incompatible: In[0]: {TensorShape.Format(a.Dims)}, In[1]: {TensorShape.Format(b.Dims)} (transpose_a={ta}, transpose_b={tb})");
        var y = ctx.AllocateDeviceOutput(0, device, [m, n]);
        if (m == 0 || n == 0) return;
        var config = new KernelConfig(new Index2D((n + Tile - 1) / Tile, (m + Tile - 1) / Tile), new Index2D(Tile, Tile));
        kernel(config, View(a, ctx, 0), View(b, ctx, 1), View(y, ctx, 0), m, n, kk, ta ? 1 : 0, tb ? 1 : 0);
    }

    private static void MatMulKernel(V a, V b, V c,
                                     int m, int n, int k, int transA, int transB)
    {
        var tileA = SharedMemory.Allocate2D<float, Stride2D.DenseX>(new Index2D(Tile, Tile), new Stride2D.DenseX(Tile));
        var tileB = SharedMemory.Allocate2D<float, Stride2D.DenseX>(new Index2D(Tile, Tile), new Stride2D.DenseX(Tile));
        int tx = Group.IdxX, ty = Group.IdxY;
        int col = Grid.IdxX * Tile + tx, row = Grid.IdxY * Tile + ty;
        float sum = 0;
        for (int t0 = 0; t0 < k; t0 += Tile)
        {
            int ka = t0 + tx, kb = t0 + ty;
            tileA[ty, tx] = row < m && ka < k ? a[transA != 0 ? ka * m + row : row * k + ka] : 0f;
            tileB[ty, tx] = col < n && kb < k ? b[transB != 0 ? col * k + kb : kb * n + col] : 0f;
            Group.Barrier();
            for (int p = 0; p < Tile; p++) sum += tileA[ty, p] * tileB[p, tx];
            Group.Barrier();
        }
        if (row < m && col < n) c[row * n + col] = sum;
    }

    // ---------- variables in device memory: writes are staged in the variable's spare device buffer ----------
    private static void Variables(KernelRegistry r, Accelerator acc, GpuDevice device)
    {
        var f32 = new[] { DataType.Float32 };
        var copy = new Lazy<Action<Index1D, V, V, CopyOp>>(() => acc.LoadAutoGroupedStreamKernel<Index1D, V, V, CopyOp>(UnaryKernel<CopyOp>));
        var add = new Lazy<Action<Index1D, V, V, V, AddOp>>(() => acc.LoadAutoGroupedStreamKernel<Index1D, V, V, V, AddOp>(SameShapeKernel<AddOp>));
        var sub = new Lazy<Action<Index1D, V, V, V, SubOp>>(() => acc.LoadAutoGroupedStreamKernel<Index1D, V, V, V, SubOp>(SameShapeKernel<SubOp>));
        var sgd = new Lazy<Action<Index1D, V, V, V, float>>(() => acc.LoadAutoGroupedStreamKernel<Index1D, V, V, V, float>(GradientDescentKernel));
        var momentum = new Lazy<Action<Index1D, V, V, V, V, V, float, float, int>>(() =>
            acc.LoadAutoGroupedStreamKernel<Index1D, V, V, V, V, V, float, float, int>(MomentumKernel));

        r.Register("VariableV2", f32, ctx => ctx.Outputs[0] = ctx.Run.TryReadVariable(ctx.SelfCell!));
        r.Register("Assign", f32, ctx =>
        {
            var value = ctx.Input(1);
            var cell = ctx.Variable(0);
            if (ctx.Attr<bool>("validate_shape")) VariableWrites.CheckAssign(ctx, cell, value.Dims);
            var staged = ctx.Run.StageWrite(cell, value.dtype, value.Dims, device);
            if (value.size > 0) copy.Value(value.size, View(value, ctx, 1), View(staged, ctx, 0), default);
            ctx.SetOutput(0, staged);
        });
        foreach (var type in new[] { "AssignAdd", "AssignSub" })
            r.Register(type, f32, ctx =>
            {
                var (cell, delta) = (ctx.Variable(0), ctx.Input(1));
                var old = VariableWrites.ReadForUpdate(ctx, cell, delta);
                var result = ctx.Run.StageWrite(cell, old.dtype, old.Dims, device);
                if (old.size > 0)
                {
                    if (type == "AssignAdd") add.Value(old.size, View(old, ctx, 0), View(delta, ctx, 1), View(result, ctx, 0), default);
                    else sub.Value(old.size, View(old, ctx, 0), View(delta, ctx, 1), View(result, ctx, 0), default);
                }
                ctx.SetOutput(0, result);
            });
        r.Register("ApplyGradientDescent", f32, ctx =>
        {
            var (cell, alpha, delta) = (ctx.Variable(0), ctx.Input(1).ScalarAs<float>(), ctx.Input(2));
            var current = VariableWrites.ReadForGradient(ctx, cell, delta);
            var next = ctx.Run.StageWrite(cell, current.dtype, current.Dims, device);
            if (current.size > 0) sgd.Value(current.size, View(current, ctx, 0), View(delta, ctx, 2), View(next, ctx, 0), alpha);
            ctx.SetOutput(0, next);
        });
        r.Register("ApplyMomentum", f32, ctx =>
        {
            var (cell, accumCell, lr, grad, mu) = (ctx.Variable(0), ctx.Variable(1), ctx.Input(2).ScalarAs<float>(), ctx.Input(3), ctx.Input(4).ScalarAs<float>());
            var current = VariableWrites.ReadForGradient(ctx, cell, grad);
            var accum = ctx.Run.ReadVariable(accumCell);
            var next = ctx.Run.StageWrite(cell, current.dtype, current.Dims, device);
            var nextAccum = ctx.Run.StageWrite(accumCell, accum.dtype, accum.Dims, device);
            if (current.size > 0)
                momentum.Value(current.size, View(current, ctx, 0), View(accum, ctx, 1), View(grad, ctx, 3), View(next, ctx, 0), View(nextAccum, ctx, 1),
                               lr, mu, ctx.Attr<bool>("use_nesterov") ? 1 : 0);
            ctx.SetOutput(0, next);
        });
    }

    private static void FillKernel(Index1D i, V y, float value) => y[i] = value;

    private static void GradientDescentKernel(Index1D i, V var, V delta, V next, float alpha) => next[i] = var[i] - alpha * delta[i];

    /// <summary>TensorFlow's ApplyMomentum: accum = accum·μ + g; var −= lr·accum (Nesterov: lr·g + lr·μ·accum).</summary>
    private static void MomentumKernel(Index1D i, V var, V accum, V grad, V next, V nextAccum, float lr, float mu, int nesterov)
    {
        float a = accum[i] * mu + grad[i];
        nextAccum[i] = a;
        next[i] = var[i] - (nesterov != 0 ? grad[i] * lr + a * mu * lr : lr * a);
    }

    // ---------- softmax over the last axis: one thread per row, the row's maximum subtracted first ----------
    private static Kernel Softmax(Accelerator acc, GpuDevice device, bool log)
    {
        var kernel = new Lazy<Action<Index1D, V, V, int, int>>(() => acc.LoadAutoGroupedStreamKernel<Index1D, V, V, int, int>(SoftmaxKernel));
        return ctx =>
        {
            var x = ctx.Input(0);
            var y = ctx.AllocateDeviceOutput(0, device, x.Dims);
            int n = x.Dims[^1];
            if (x.size > 0) kernel.Value(x.size / n, View(x, ctx, 0), View(y, ctx, 0), n, log ? 1 : 0);
        };
    }

    private static void SoftmaxKernel(Index1D row, V x, V y, int n, int log)
    {
        int start = row * n;
        float max = x[start];
        for (int j = 1; j < n; j++) max = MathF.Max(max, x[start + j]);
        float sum = 0;
        for (int j = 0; j < n; j++) sum += MathF.Exp(x[start + j] - max);
        float logSum = MathF.Log(sum);
        for (int j = 0; j < n; j++)
        {
            float shifted = x[start + j] - max;
            y[start + j] = log != 0 ? shifted - logSum : MathF.Exp(shifted) / sum;
        }
    }

    /// <summary>TensorFlow's fused op: loss[i] = Σ labels·(log Σ e^(x−max) − (x−max)), backprop = softmax − labels.</summary>
    private static Kernel SoftmaxCrossEntropy(Accelerator acc, GpuDevice device)
    {
        var kernel = new Lazy<Action<Index1D, V, V, V, V, int>>(() => acc.LoadAutoGroupedStreamKernel<Index1D, V, V, V, V, int>(SoftmaxCrossEntropyKernel));
        return ctx =>
        {
            var (x, labels) = (ctx.Input(0), ctx.Input(1));
            if (x.ndim != 2 || !x.Dims.AsSpan().SequenceEqual(labels.Dims))
                throw ctx.Error($"logits and labels must be matrices of one shape, got {TensorShape.Format(x.Dims)} and {TensorShape.Format(labels.Dims)}");
            var loss = ctx.AllocateDeviceOutput(0, device, [x.Dims[0]]);
            var backprop = ctx.AllocateDeviceOutput(1, device, x.Dims);
            if (x.size > 0) kernel.Value(x.Dims[0], View(x, ctx, 0), View(labels, ctx, 1), View(loss, ctx, 0), View(backprop, ctx, 1), x.Dims[1]);
        };
    }

    private static void SoftmaxCrossEntropyKernel(Index1D row, V x, V labels, V loss, V backprop, int n)
    {
        int start = row * n;
        float max = x[start];
        for (int j = 1; j < n; j++) max = MathF.Max(max, x[start + j]);
        float sum = 0;
        for (int j = 0; j < n; j++) sum += MathF.Exp(x[start + j] - max);
        float logSum = MathF.Log(sum), total = 0;
        for (int j = 0; j < n; j++)
        {
            float shifted = x[start + j] - max;
            total += labels[start + j] * (logSum - shifted);
            backprop[start + j] = MathF.Exp(shifted) / sum - labels[start + j];
        }
        loss[row] = total;
    }

    // ---------- reductions: one thread per output element, strides for any set of axes ----------
    private static Kernel Reduce(Accelerator acc, GpuDevice device, bool mean)
    {
        var kernel = new Lazy<Action<Index1D, V, V, Shape6, Shape6, int, Shape6, Shape6, int, int, float>>(() =>
            acc.LoadAutoGroupedStreamKernel<Index1D, V, V, Shape6, Shape6, int, Shape6, Shape6, int, int, float>(ReduceKernel));
        return ctx => ReduceOn(ctx, kernel.Value, device, mean);
    }

    private static void ReduceOn(KernelContext ctx, Action<Index1D, V, V, Shape6, Shape6, int, Shape6, Shape6, int, int, float> kernel, GpuDevice device, bool mean)
    {
        var x = ctx.Input(0);
        var axes = ctx.Input(1); // host memory
        int rank = x.ndim;
        if (rank > Shape6.MaxRank) throw ctx.Error($"GPU reductions support rank {Shape6.MaxRank} at most, got {rank}");
        Span<bool> reduce = stackalloc bool[rank];
        for (int i = 0; i < axes.size; i++)
        {
            var a = (int)axes.LongAt(i);
            if (a < -rank || a >= rank) throw ctx.Error($"Invalid reduction dimension {a} for input with {rank} dimensions");
            reduce[a < 0 ? a + rank : a] = true;
        }
        bool keep = ctx.Attr<bool>("keep_dims");
        Span<int> strides = stackalloc int[rank];
        for (int d = rank - 1, s = 1; d >= 0; d--) { strides[d] = s; s *= x.Dims[d]; }
        var kept = new List<int>(); var keptStrides = new List<int>(); var red = new List<int>(); var redStrides = new List<int>();
        var outDims = new List<int>();
        for (int d = 0; d < rank; d++)
        {
            if (reduce[d]) { red.Add(x.Dims[d]); redStrides.Add(strides[d]); if (keep) outDims.Add(1); }
            else { kept.Add(x.Dims[d]); keptStrides.Add(strides[d]); outDims.Add(x.Dims[d]); }
        }
        var y = ctx.AllocateDeviceOutput(0, device, outDims.ToArray());
        if (y.size == 0) return;
        int count = 1;
        foreach (var n in red) count *= n;
        kernel(y.size, View(x, ctx, 0), View(y, ctx, 0), Shape6.Of(kept.ToArray()), Shape6.Of(keptStrides.ToArray()), kept.Count,
             Shape6.Of(red.ToArray()), Shape6.Of(redStrides.ToArray()), red.Count, count, mean && count > 0 ? 1f / count : 1f);
    }

    private static void ReduceKernel(Index1D o, V x, V y,
                                     Shape6 keptDims, Shape6 keptStrides, int keptRank, Shape6 redDims, Shape6 redStrides, int redRank, int count, float scale)
    {
        int rem = o, baseOffset = 0;
        for (int d = keptRank - 1; d >= 0; d--)
        {
            int n = keptDims.Get(d);
            baseOffset += rem % n * keptStrides.Get(d);
            rem /= n;
        }
        float sum = 0;
        for (int r = 0; r < count; r++)
        {
            int rr = r, off = baseOffset;
            for (int d = redRank - 1; d >= 0; d--)
            {
                int n = redDims.Get(d);
                off += rr % n * redStrides.Get(d);
                rr /= n;
            }
            sum += x[off];
        }
        y[o] = sum * scale;
    }
}

/// <summary>Up to six dims or strides, passed to a kernel by value (kernel parameters cannot be arrays).</summary>
internal struct Shape6
{
    public const int MaxRank = 6;
    public int D0, D1, D2, D3, D4, D5;

    public static Shape6 Of(ReadOnlySpan<int> v)
    {
        var s = new Shape6();
        for (int i = 0; i < v.Length; i++) s.Set(i, v[i]);
        return s;
    }

    public readonly int Get(int i) => i switch { 0 => D0, 1 => D1, 2 => D2, 3 => D3, 4 => D4, _ => D5 };

    private void Set(int i, int v)
    {
        switch (i)
        {
            case 0: D0 = v; break;
            case 1: D1 = v; break;
            case 2: D2 = v; break;
            case 3: D3 = v; break;
            case 4: D4 = v; break;
            default: D5 = v; break;
        }
    }
}

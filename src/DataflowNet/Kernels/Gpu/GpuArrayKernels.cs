using ILGPU;
using ILGPU.Runtime;
using DataflowNet.Kernels.Cpu;
using static DataflowNet.Kernels.Gpu.GpuKernels;

using V = ILGPU.Runtime.ArrayView1D<float, ILGPU.Stride1D.Dense>;
using I32 = ILGPU.Runtime.ArrayView1D<int, ILGPU.Stride1D.Dense>;
using I64 = ILGPU.Runtime.ArrayView1D<long, ILGPU.Stride1D.Dense>;

namespace DataflowNet.Kernels.Gpu;

/// <summary>
/// Sources, identities, views, fills and the ops that move elements: transposes, slices, concatenations, splits,
/// tiles, pads, broadcasts, gathers, one-hots and segment sums. Every op that only moves elements is one launch of
/// <see cref="StridedCopyKernel"/> per output (or per input block): the host works out, per axis of the elements it
/// walks, a stride into the source and one into the destination (and, for Pad, the range that holds data). Shape-like
/// inputs (perm, axis, begin/end/strides, sizes, multiples, paddings, dims, depth, num_segments, scalars) are read
/// on the host, with the CPU kernels' checks and messages.
/// </summary>
internal static class GpuArrayKernels
{
    public static void Register(KernelRegistry r, GpuDevice device)
    {
        var acc = device.Accelerator;
        r.Register("Identity", F32, ctx => ctx.SetOutput(0, ctx.Input(0)));
        r.Register("StopGradient", F32, ctx => ctx.SetOutput(0, ctx.Input(0)));
        // A constant is uploaded once per device and kept with its op.
        var constants = new System.Runtime.CompilerServices.ConditionalWeakTable<Operation, TensorValue>();
        r.Register("Const", F32, ctx => ctx.SetOutput(0, constants.GetValue(ctx.Self, op => device.Upload(op.get_attr<TensorValue>("value"), op))));
        // Views change only dims, so the CPU's kernels serve: they never touch the elements.
        r.Register("Reshape", F32, CpuDevice.Instance.Kernels.Get("Reshape"), hostMemory: [1]);
        r.Register("ExpandDims", F32, CpuDevice.Instance.Kernels.Get("ExpandDims"), hostMemory: [1]);
        r.Register("Squeeze", F32, CpuDevice.Instance.Kernels.Get("Squeeze"));
        var fill = new Lazy<Action<Index1D, V, float>>(() => acc.LoadAutoGroupedStreamKernel<Index1D, V, float>(FillKernel));
        foreach (var (type, value) in new[] { ("ZerosLike", 0f), ("OnesLike", 1f) })
            r.Register(type, F32, ctx =>
            {
                var y = ctx.AllocateDeviceOutput(0, device, ctx.Input(0).Dims);
                if (y.size > 0) fill.Value(y.size, View(y, ctx, 0), value);
            });
        r.Register("Fill", F32, ctx =>
        {
            var dimsIn = ctx.Input(0);
            var dims = new int[dimsIn.size];
            for (int i = 0; i < dims.Length; i++) dims[i] = (int)dimsIn.LongAt(i);
            if (dims.Any(d => d < 0)) throw ctx.Error($"dims must be non-negative, got [{string.Join(", ", dims)}].");
            var value = ctx.Input(1);
            if (value.ndim != 0) throw ctx.Error($"value must be a scalar, got shape {TensorShape.Format(value.Dims)}.");
            var y = ctx.AllocateDeviceOutput(0, device, dims);
            if (y.size > 0) fill.Value(y.size, View(y, ctx, 0), value.Buffer<float>()[0]);
        }, hostMemory: [0, 1], dtypeInput: 1);

        var copier = new Copier(acc);
        RegisterMoves(r, device, copier);
        RegisterIndexed(r, device, acc);
    }

    /// <summary>The ops that only move elements: each output is one or more strided copies.</summary>
    private static void RegisterMoves(KernelRegistry r, GpuDevice device, Copier copier)
    {
        r.Register("Transpose", F32, ctx =>
        {
            var x = ctx.Input(0);
            var permIn = ctx.Input(1);
            var perm = new int[permIn.size];
            for (int i = 0; i < perm.Length; i++) perm[i] = (int)permIn.LongAt(i);
            if (perm.Length != x.ndim || perm.Order().Where((p, i) => p != i).Any())
                throw ctx.Error($"perm [{string.Join(", ", perm)}] is not a permutation of the {x.ndim} dimensions of shape {TensorShape.Format(x.Dims)}.");
            var strides = ShapeUtil.Strides(x.Dims);
            var outDims = perm.Select(p => x.Dims[p]).ToArray();
            var outStrides = ShapeUtil.Strides(outDims);
            var y = ctx.AllocateDeviceOutput(0, device, outDims);
            copier.Run(ctx, x, y, perm.Select((p, i) => Axis.Plain(outDims[i], strides[p], outStrides[i])), 0, 0);
        }, hostMemory: [1]);

        r.Register("Slice", F32, ctx =>
        {
            var x = ctx.Input(0);
            var (begin, size) = Cpu.ArrayKernels.SliceBounds(ctx, x);
            var y = ctx.AllocateDeviceOutput(0, device, size);
            copier.Run(ctx, x, y, SliceAxes(x.Dims, begin, Enumerable.Repeat(1, x.ndim).ToArray(), size, out int inBase, gather: true), inBase, 0);
        }, hostMemory: [1, 2]);

        r.Register("StridedSlice", F32, ctx =>
        {
            var x = ctx.Input(0);
            var spec = StridedSliceSpec.Resolve(x.Dims, Ints(ctx.Input(1)), Ints(ctx.Input(2)), Ints(ctx.Input(3)), StridedSliceSpec.Masks(ctx.Self), ctx.Errors);
            var y = ctx.AllocateDeviceOutput(0, device, spec.OutputDims);
            copier.Run(ctx, x, y, SliceAxes(x.Dims, spec.Starts, spec.Steps, spec.Counts, out int inBase, gather: true), inBase, 0);
        }, hostMemory: [1, 2, 3]);

        // The gradient of a strided slice: zeros of the input's shape, with dy written where the slice read. Every
        // step is non-zero, so no two elements of dy land on one place: a scatter copy, no atomics.
        r.Register("StridedSliceGrad", F32, ctx =>
        {
            var dims = Ints(ctx.Input(0));
            var spec = StridedSliceSpec.Resolve(dims, Ints(ctx.Input(1)), Ints(ctx.Input(2)), Ints(ctx.Input(3)), StridedSliceSpec.Masks(ctx.Self), ctx.Errors);
            var dy = ctx.Input(4);
            var y = ctx.AllocateDeviceOutput(0, device, dims);
            if (dy.size != ShapeUtil.Count(spec.Counts))
                throw ctx.Error($"dy has {dy.size} elements but the slice selects {ShapeUtil.Count(spec.Counts)}.");
            if (y.size == 0) return;
            View(y, ctx, 0).MemSetToZero();
            copier.Run(ctx, dy, y, SliceAxes(dims, spec.Starts, spec.Steps, spec.Counts, out int outBase, gather: false), 0, outBase);
        }, hostMemory: [0, 1, 2, 3], dtypeInput: 4);

        // ConcatV2's axis is its last input (index N): host memory -1.
        r.Register("ConcatV2", F32, ctx =>
        {
            int n = ctx.NumInputs - 1;
            var values = Enumerable.Range(0, n).Select(ctx.Input).ToArray();
            int axis = ShapeUtil.NormalizeAxis((int)ctx.Input(n).LongAt(0), values[0].ndim, ctx.Errors);
            Concat(ctx, device, copier, values, axis);
        }, hostMemory: [-1]);
        r.Register("Pack", F32, ctx =>
        {
            var (expanded, axis) = Cpu.ArrayKernels.PackAsConcat(ctx);
            Concat(ctx, device, copier, expanded, axis);
        });
        r.Register("Unpack", F32, ctx =>
        {
            var x = ctx.Input(0);
            int axis = ShapeUtil.NormalizeAxis(ctx.Attr<int>("axis"), x.ndim, ctx.Errors);
            ArrayChecks.UnpackCount(ctx, x, axis);
            var partDims = x.Dims.Where((_, k) => k != axis).ToArray();
            SplitAlong(ctx, device, copier, x, axis, Enumerable.Repeat(1, x.Dims[axis]).ToArray(), partDims);
        });
        r.Register("Split", F32, ctx =>
        {
            var x = ctx.Input(1);
            int axis = ShapeUtil.NormalizeAxis((int)ctx.Input(0).LongAt(0), x.ndim, ctx.Errors);
            int num = ctx.Attr<int>("num_split");
            if (x.Dims[axis] % num != 0)
                throw ctx.Error($"Number of ways to split should evenly divide the split dimension, but got split_dim {axis} (size = {x.Dims[axis]}) and num_split {num}.");
            SplitAlong(ctx, device, copier, x, axis, Enumerable.Repeat(x.Dims[axis] / num, num).ToArray(), null);
        }, hostMemory: [0], dtypeInput: 1); // Split(split_dim, value): the data is input 1
        r.Register("SplitV", F32, ctx =>
        {
            var x = ctx.Input(0);
            var sizes = Ints(ctx.Input(1));
            int axis = ShapeUtil.NormalizeAxis((int)ctx.Input(2).LongAt(0), x.ndim, ctx.Errors);
            ArrayChecks.SplitSizesCount(ctx, sizes.Length);
            int unknown = Array.IndexOf(sizes, -1);
            if (unknown >= 0) sizes[unknown] = x.Dims[axis] - (sizes.Sum() + 1);
            if (sizes.Sum() != x.Dims[axis] || sizes.Any(s => s < 0))
                throw ctx.Error($"size_splits [{string.Join(", ", sizes)}] must sum to the dimension {axis} of size {x.Dims[axis]}.");
            SplitAlong(ctx, device, copier, x, axis, sizes, null);
        }, hostMemory: [1, 2]);

        // Tile: output axis d reads input index c mod dims[d]; TileKernel does the modulo, so rank 6 stays rank 6.
        var tile = new Lazy<Action<Index1D, V, V, Shape6, Shape6, Shape6, int>>(() =>
            device.Accelerator.LoadAutoGroupedStreamKernel<Index1D, V, V, Shape6, Shape6, Shape6, int>(TileKernel));
        r.Register("Tile", F32, ctx =>
        {
            var x = ctx.Input(0);
            var m = Ints(ctx.Input(1));
            if (m.Length != x.ndim || m.Any(v => v < 0))
                throw ctx.Error($"multiples [{string.Join(", ", m)}] must be non-negative, one per dimension of shape {TensorShape.Format(x.Dims)}.");
            var y = ctx.AllocateDeviceOutput(0, device, x.Dims.Select((d, i) => d * m[i]).ToArray());
            if (y.size == 0) return;
            // Axes of x merge with the axis before them where that one is not tiled (the run of elements is
            // contiguous in both), and size-1 axes drop out: usually a rank well under 6.
            var inDims = new List<int>();
            var mult = new List<int>();
            for (int i = 0; i < x.ndim; i++)
            {
                if (x.Dims[i] == 1 && m[i] == 1) continue;
                if (m[i] == 1 && inDims.Count > 0) inDims[^1] *= x.Dims[i];
                else { inDims.Add(x.Dims[i]); mult.Add(m[i]); }
            }
            CheckRank(ctx, inDims.Count);
            var inStrides = ShapeUtil.Strides(inDims.ToArray());
            var outDims = inDims.Select((d, i) => d * mult[i]).ToArray();
            tile.Value(y.size, View(x, ctx, 0), View(y, ctx, 0), Shape6.Of(outDims), Shape6.Of(inDims.ToArray()), Shape6.Of(inStrides), outDims.Length);
        }, hostMemory: [1]);

        r.Register("BroadcastTo", F32, ctx =>
        {
            var x = ctx.Input(0);
            var target = Ints(ctx.Input(1));
            Span<int> outDims = stackalloc int[Math.Max(x.ndim, target.Length)];
            Cpu.Broadcasting.Shape(x.Dims, target, outDims, ctx.Errors);
            if (!outDims.SequenceEqual(target))
                throw ctx.Error($"Cannot broadcast shape {TensorShape.Format(x.Dims)} to {TensorShape.Format(target)}.");
            var y = ctx.AllocateDeviceOutput(0, device, target);
            var inStrides = new int[target.Length];
            Cpu.Broadcasting.Strides(x.Dims, target, inStrides);
            var outStrides = ShapeUtil.Strides(target);
            copier.Run(ctx, x, y, target.Select((d, i) => Axis.Plain(d, inStrides[i], outStrides[i])), 0, 0);
        }, hostMemory: [1]);

        foreach (var type in new[] { "Pad", "PadV2" })
            r.Register(type, F32, ctx =>
            {
                var x = ctx.Input(0);
                var p = Ints(ctx.Input(1));
                if (p.Length != 2 * x.ndim || p.Any(v => v < 0))
                    throw ctx.Error($"paddings must be non-negative with shape [{x.ndim}, 2], got [{string.Join(", ", p)}].");
                float constant = ctx.NumInputs > 2 ? ctx.Input(2).Buffer<float>()[0] : 0f;
                var outDims = x.Dims.Select((d, i) => d + p[2 * i] + p[2 * i + 1]).ToArray();
                var y = ctx.AllocateDeviceOutput(0, device, outDims);
                // Walk the output; output index c of axis d reads input index c - before[d] where that is in range.
                var inStrides = ShapeUtil.Strides(x.Dims);
                var outStrides = ShapeUtil.Strides(outDims);
                int inBase = 0;
                for (int i = 0; i < x.ndim; i++) inBase -= p[2 * i] * inStrides[i];
                copier.Run(ctx, x, y, outDims.Select((d, i) => new Axis(d, inStrides[i], outStrides[i], p[2 * i], p[2 * i] + x.Dims[i])), inBase, 0, constant);
            }, hostMemory: type == "Pad" ? [1] : [1, 2]);
    }

    /// <summary>
    /// Ops indexed by a device tensor: GatherV2, OneHot, UnsortedSegmentSum. Their indices (int32 or int64) stay on
    /// the device. An index out of range is an error on the CPU; on the device a kernel cannot throw, so the threads
    /// that meet one write nothing out of bounds (Gather writes 0, SegmentSum skips the row) and record the smallest
    /// offending position in a one-int flag (Atomic.Min). The host reads that flag back after the launch (the one
    /// download, and a wait for the kernel) and throws the CPU's InvalidArgumentException with the CPU's message
    /// (the first bad position and its value, read back too only in that case).
    /// </summary>
    private static void RegisterIndexed(KernelRegistry r, GpuDevice device, Accelerator acc)
    {
        var gather32 = new Lazy<Action<Index1D, V, I32, V, int, int, int, int, I32>>(() => acc.LoadAutoGroupedStreamKernel<Index1D, V, I32, V, int, int, int, int, I32>(GatherKernel32));
        var gather64 = new Lazy<Action<Index1D, V, I64, V, int, int, int, int, I32>>(() => acc.LoadAutoGroupedStreamKernel<Index1D, V, I64, V, int, int, int, int, I32>(GatherKernel64));
        r.Register("GatherV2", F32, ctx =>
        {
            var p = ctx.Input(0);
            var indices = ctx.Input(1);
            int axis = ShapeUtil.NormalizeAxis((int)ctx.Input(2).LongAt(0), p.ndim, ctx.Errors);
            int b = GatherBatch.Dims(ctx.Attr<int>("batch_dims"), axis, p.Dims, indices.Dims, ctx.Errors);
            var (_, n, inner) = Layout.Around(p.Dims, axis);
            var (_, middle, perBatch) = GatherBatch.Sizes(b, axis, p.Dims, indices.Dims);
            int[] dims = [.. p.Dims[..axis], .. indices.Dims[b..], .. p.Dims[(axis + 1)..]];
            var y = ctx.AllocateDeviceOutput(0, device, dims);
            if (indices.size == 0) return;
            if (y.size == 0)
            {
                // Nothing to write, but the CPU still checks every index: so does the host here (no kernel runs).
                var all = ((GpuBuffer)indices.OnDevice!).ToHost(indices.dtype, indices.Dims);
                for (int i = 0; i < all.size; i++)
                    if (all.LongAt(i) < 0 || all.LongAt(i) >= n)
                        throw ctx.Error($"indices[{i}] = {all.LongAt(i)} is not in [0, {n}) (gathering from axis {axis} of shape {TensorShape.Format(p.Dims)}).");
                return;
            }
            using var flag = NewFlag(device, ctx, int.MaxValue);
            middle = Math.Max(1, middle);
            if (indices.dtype == DataType.Int64) gather64.Value(y.size, View(p, ctx, 0), View<long>(indices, ctx, 1), View(y, ctx, 0), n, perBatch, inner, middle, flag.View);
            else gather32.Value(y.size, View(p, ctx, 0), View<int>(indices, ctx, 1), View(y, ctx, 0), n, perBatch, inner, middle, flag.View);
            int bad = ReadFlag(flag);
            if (bad != int.MaxValue)
                throw ctx.Error($"indices[{bad}] = {DownloadIndex(indices, ctx, bad)} is not in [0, {n}) (gathering from axis {axis} of shape {TensorShape.Format(p.Dims)}).");
        }, hostMemory: [2]);

        // OneHot: an index out of [0, depth) matches no position (all off_value), as on the CPU: nothing to check.
        var oneHot32 = new Lazy<Action<Index1D, I32, V, int, int, float, float>>(() => acc.LoadAutoGroupedStreamKernel<Index1D, I32, V, int, int, float, float>(OneHotKernel32));
        var oneHot64 = new Lazy<Action<Index1D, I64, V, int, int, float, float>>(() => acc.LoadAutoGroupedStreamKernel<Index1D, I64, V, int, int, float, float>(OneHotKernel64));
        r.Register("OneHot", F32, ctx =>
        {
            var indices = ctx.Input(0);
            int depth = (int)ctx.Input(1).LongAt(0);
            if (depth < 0) throw ctx.Error($"depth must be non-negative, got {depth}.");
            int axis = ctx.Attr<int>("axis");
            if (axis == -1) axis = indices.ndim;
            if (axis < 0 || axis > indices.ndim) throw ctx.Error($"axis must be -1 or in [0, {indices.ndim}], got {axis}.");
            var dims = indices.Dims.ToList();
            dims.Insert(axis, depth);
            int inner = 1;
            for (int i = axis; i < indices.ndim; i++) inner *= indices.Dims[i];
            float on = ctx.Input(2).Buffer<float>()[0], off = ctx.Input(3).Buffer<float>()[0];
            var y = ctx.AllocateDeviceOutput(0, device, dims.ToArray());
            if (y.size == 0) return;
            if (indices.dtype == DataType.Int64) oneHot64.Value(y.size, View<long>(indices, ctx, 0), View(y, ctx, 0), depth, inner, on, off);
            else oneHot32.Value(y.size, View<int>(indices, ctx, 0), View(y, ctx, 0), depth, inner, on, off);
        }, hostMemory: [1, 2, 3], dtypeInput: 2);

        // UnsortedSegmentSum: one thread per data element, atomically added into its segment's row.
        var segment32 = new Lazy<Action<Index1D, V, I32, V, int, int, I32>>(() => acc.LoadAutoGroupedStreamKernel<Index1D, V, I32, V, int, int, I32>(SegmentSumKernel32));
        var segment64 = new Lazy<Action<Index1D, V, I64, V, int, int, I32>>(() => acc.LoadAutoGroupedStreamKernel<Index1D, V, I64, V, int, int, I32>(SegmentSumKernel64));
        r.Register("UnsortedSegmentSum", F32, ctx =>
        {
            var data = ctx.Input(0);
            var ids = ctx.Input(1);
            int n = (int)ctx.Input(2).LongAt(0);
            if (ids.ndim > data.ndim || !data.Dims.AsSpan(0, ids.ndim).SequenceEqual(ids.Dims))
                throw ctx.Error($"segment_ids {TensorShape.Format(ids.Dims)} must be a prefix of data's shape {TensorShape.Format(data.Dims)}.");
            int inner = ids.size == 0 ? 0 : data.size / ids.size;
            int[] outDims = [n, .. data.Dims[ids.ndim..]];
            var y = ctx.AllocateDeviceOutput(0, device, outDims);
            if (y.size > 0) View(y, ctx, 0).MemSetToZero();
            if (ids.size == 0) return;
            if (data.size == 0)
            {
                // No elements to add, but every id is still checked, as on the CPU.
                var all = ((GpuBuffer)ids.OnDevice!).ToHost(ids.dtype, ids.Dims);
                for (int i = 0; i < all.size; i++)
                    if (all.LongAt(i) < 0 || all.LongAt(i) >= n) throw ctx.Error($"segment_ids[{i}] = {all.LongAt(i)} is out of range [0, {n}).");
                return;
            }
            using var flag = NewFlag(device, ctx, int.MaxValue);
            if (ids.dtype == DataType.Int64) segment64.Value(data.size, View(data, ctx, 0), View<long>(ids, ctx, 1), View(y, ctx, 0), inner, n, flag.View);
            else segment32.Value(data.size, View(data, ctx, 0), View<int>(ids, ctx, 1), View(y, ctx, 0), inner, n, flag.View);
            int bad = ReadFlag(flag);
            if (bad != int.MaxValue)
                throw ctx.Error($"segment_ids[{bad}] = {DownloadIndex(ids, ctx, bad)} is out of range [0, {n}).");
        }, hostMemory: [2]);
    }

    // ---- host helpers ----

    private static int[] Ints(TensorValue v)
    {
        var a = new int[v.size];
        for (int i = 0; i < a.Length; i++) a[i] = (int)v.LongAt(i);
        return a;
    }

    /// <summary>Index <paramref name="i"/> of a device index tensor, for an error message.</summary>
    private static long DownloadIndex(TensorValue indices, KernelContext ctx, int i) =>
        indices.dtype == DataType.Int64 ? View<long>(indices, ctx, 1).SubView(i, 1).GetAsArray1D()[0]
            : View<int>(indices, ctx, 1).SubView(i, 1).GetAsArray1D()[0];

    private static void CheckRank(KernelContext ctx, int rank)
    {
        if (rank > Shape6.MaxRank)
            throw ctx.Error($"GPU {ctx.Self.type} supports rank {Shape6.MaxRank} at most (after merging contiguous axes), got {rank}");
    }

    /// <summary>
    /// The axes of a (strided) slice of a tensor of <paramref name="dims"/>: counts[k] elements from starts[k] in
    /// steps of steps[k]. gather: the slice is read into a dense output; else dense elements are written into the
    /// slice (StridedSliceGrad). <paramref name="sliceBase"/> is the slice's first element.
    /// </summary>
    private static IEnumerable<Axis> SliceAxes(int[] dims, int[] starts, int[] steps, int[] counts, out int sliceBase, bool gather)
    {
        var strides = ShapeUtil.Strides(dims);
        var dense = ShapeUtil.Strides(counts);
        sliceBase = 0;
        var axes = new Axis[dims.Length];
        for (int k = 0; k < dims.Length; k++)
        {
            sliceBase += starts[k] * strides[k];
            axes[k] = gather ? Axis.Plain(counts[k], steps[k] * strides[k], dense[k]) : Axis.Plain(counts[k], dense[k], steps[k] * strides[k]);
        }
        return axes;
    }

    /// <summary>Concatenation along <paramref name="axis"/>: each input is one block copy, [outer, its rows] into the output's rows at its offset.</summary>
    private static void Concat(KernelContext ctx, GpuDevice device, Copier copier, TensorValue[] values, int axis)
    {
        var outDims = Cpu.ArrayKernels.ConcatDims(ctx, values, axis);
        var y = ctx.AllocateDeviceOutput(0, device, outDims);
        if (y.size == 0) return;
        var (outer, _, inner) = Layout.Around(outDims, axis);
        int outRow = outDims[axis] * inner, offset = 0;
        foreach (var v in values)
        {
            int chunk = v.Dims[axis] * inner;
            copier.Run(ctx, v, y, [Axis.Plain(outer, chunk, outRow), Axis.Plain(chunk, 1, 1)], 0, offset);
            offset += chunk;
        }
    }

    /// <summary>Output p is x's rows [offset, offset + sizes[p]) along <paramref name="axis"/>, with <paramref name="partDims"/> when given (Unpack drops the axis).</summary>
    private static void SplitAlong(KernelContext ctx, GpuDevice device, Copier copier, TensorValue x, int axis, int[] sizes, int[]? partDims)
    {
        var (outer, _, inner) = Layout.Around(x.Dims, axis);
        int row = x.Dims[axis] * inner, offset = 0;
        for (int p = 0; p < sizes.Length; p++)
        {
            var dims = x.shape;
            dims[axis] = sizes[p];
            var y = ctx.AllocateDeviceOutput(p, device, partDims ?? dims);
            int chunk = sizes[p] * inner;
            copier.Run(ctx, x, y, [Axis.Plain(outer, row, chunk), Axis.Plain(chunk, 1, 1)], offset, 0);
            offset += chunk;
        }
    }

    /// <summary>
    /// One axis of a strided copy: <see cref="Dim"/> positions, element strides into the source and the destination,
    /// and the positions [<see cref="Lo"/>, <see cref="Hi"/>) that hold source data (others get the fill value: Pad).
    /// </summary>
    private readonly record struct Axis(int Dim, int InStride, int OutStride, int Lo, int Hi)
    {
        public static Axis Plain(int dim, int inStride, int outStride) => new(dim, inStride, outStride, 0, dim);
        public bool Full => Lo <= 0 && Hi >= Dim;
    }

    /// <summary>Launches <see cref="StridedCopyKernel"/> over a list of axes, first merging what it can.</summary>
    private sealed class Copier(Accelerator acc)
    {
        private readonly Lazy<Action<Index1D, V, V, Shape6, Shape6, Shape6, Shape6, Shape6, int, int, int, float>> _kernel = new(() =>
            acc.LoadAutoGroupedStreamKernel<Index1D, V, V, Shape6, Shape6, Shape6, Shape6, Shape6, int, int, int, float>(StridedCopyKernel));

        public void Run(KernelContext ctx, TensorValue x, TensorValue y, IEnumerable<Axis> axes, int inBase, int outBase, float fill = 0)
        {
            var all = axes.ToList();
            if (all.Any(a => a.Dim == 0)) return;
            // Size-1 axes that hold data add nothing to either offset; neighbours that are contiguous in both the
            // source and the destination are one axis. A transpose or slice of a rank-7 tensor often fits in 6
            // this way, and every copy indexes fewer axes.
            var merged = new List<Axis>();
            foreach (var a in all)
            {
                if (a.Dim == 1 && a.Full) continue;
                if (merged.Count > 0 && merged[^1] is var m && m.Full && a.Full
                    && m.InStride == a.InStride * a.Dim && m.OutStride == a.OutStride * a.Dim)
                    merged[^1] = Axis.Plain(m.Dim * a.Dim, a.InStride, a.OutStride);
                else merged.Add(a);
            }
            CheckRank(ctx, merged.Count);
            int count = 1;
            foreach (var a in merged) count *= a.Dim;
            Shape6 S(Func<Axis, int> f) => Shape6.Of(merged.Select(f).ToArray());
            _kernel.Value(count, View(x, ctx, 0), View(y, ctx, 0), S(a => a.Dim), S(a => a.InStride), S(a => a.OutStride), S(a => a.Lo), S(a => a.Hi),
                          merged.Count, inBase, outBase, fill);
        }
    }

    // ---- device kernels ----

    private static void FillKernel(Index1D i, V y, float value) => y[i] = value;

    /// <summary>
    /// Element i of the walk (row-major over <paramref name="dims"/>): y[outBase + Σ c·outStride] = x[inBase + Σ c·inStride],
    /// or <paramref name="fill"/> where some coordinate lies outside [lo, hi) (the source is not read there).
    /// </summary>
    private static void StridedCopyKernel(Index1D i, V x, V y, Shape6 dims, Shape6 inStrides, Shape6 outStrides, Shape6 lo, Shape6 hi,
                                          int rank, int inBase, int outBase, float fill)
    {
        int rem = i, inOff = inBase, outOff = outBase;
        bool inside = true;
        for (int d = rank - 1; d >= 0; d--)
        {
            int n = dims.Get(d);
            int c = rem % n;
            rem /= n;
            inOff += c * inStrides.Get(d);
            outOff += c * outStrides.Get(d);
            inside &= c >= lo.Get(d) && c < hi.Get(d);
        }
        if (inside) y[outOff] = x[inOff];
        else y[outOff] = fill;
    }

    private static void TileKernel(Index1D i, V x, V y, Shape6 outDims, Shape6 inDims, Shape6 inStrides, int rank)
    {
        int rem = i, off = 0;
        for (int d = rank - 1; d >= 0; d--)
        {
            int n = outDims.Get(d);
            off += rem % n % inDims.Get(d) * inStrides.Get(d);
            rem /= n;
        }
        y[i] = x[off];
    }

    /// <summary>
    /// y[o, j, k] = p[o, indices[at], k] with at = the batch of row o (o / middle) · count + j (at = j without batch
    /// dims); an index outside [0, n) writes 0 and flags its position.
    /// </summary>
    private static void Gather(int i, V p, int at, long index, V y, int n, int count, int inner, I32 bad)
    {
        int k = i % inner, o = i / inner / count;
        if (index < 0 || index >= n)
        {
            Atomic.Min(ref bad[0], at);
            y[i] = 0;
            return;
        }
        y[i] = p[(o * n + (int)index) * inner + k];
    }

    /// <summary>The position in indices that output element i reads.</summary>
    private static int GatherIndexAt(int i, int count, int inner, int middle)
    {
        int rest = i / inner;
        return rest / count / middle * count + rest % count;
    }

    private static void GatherKernel32(Index1D i, V p, I32 indices, V y, int n, int count, int inner, int middle, I32 bad)
    {
        int at = GatherIndexAt(i, count, inner, middle);
        Gather(i, p, at, indices[at], y, n, count, inner, bad);
    }

    private static void GatherKernel64(Index1D i, V p, I64 indices, V y, int n, int count, int inner, int middle, I32 bad)
    {
        int at = GatherIndexAt(i, count, inner, middle);
        Gather(i, p, at, indices[at], y, n, count, inner, bad);
    }

    /// <summary>y[o, d, k] = indices[o, k] == d ? on : off.</summary>
    private static void OneHotKernel32(Index1D i, I32 indices, V y, int depth, int inner, float on, float off)
    {
        int k = i % inner, rest = i / inner;
        y[i] = indices[rest / depth * inner + k] == rest % depth ? on : off;
    }

    private static void OneHotKernel64(Index1D i, I64 indices, V y, int depth, int inner, float on, float off)
    {
        int k = i % inner, rest = i / inner;
        y[i] = indices[rest / depth * inner + k] == rest % depth ? on : off;
    }

    /// <summary>y[ids[row], k] += data[row, k]; a row whose id is outside [0, n) adds nothing and flags its position.</summary>
    private static void SegmentAdd(int i, V data, long id, V y, int inner, int n, I32 bad)
    {
        int row = i / inner;
        if (id < 0 || id >= n)
        {
            Atomic.Min(ref bad[0], row);
            return;
        }
        Atomic.Add(ref y[(int)id * inner + (i - row * inner)], data[i]);
    }

    private static void SegmentSumKernel32(Index1D i, V data, I32 ids, V y, int inner, int n, I32 bad) =>
        SegmentAdd(i, data, ids[i / inner], y, inner, n, bad);

    private static void SegmentSumKernel64(Index1D i, V data, I64 ids, V y, int inner, int n, I32 bad) =>
        SegmentAdd(i, data, ids[i / inner], y, inner, n, bad);
}

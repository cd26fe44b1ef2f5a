using System.Numerics;

namespace DataflowNet.Kernels.Cpu;

/// <summary>Kernels that move elements without arithmetic; generic over every element type, strings included.</summary>
internal static class ArrayKernels
{
    public static void Register(KernelRegistry r)
    {
        r.Register("Identity", null, ctx => ctx.SetOutput(0, ctx.Input(0)));
        r.Register("StopGradient", null, ctx => ctx.SetOutput(0, ctx.Input(0)));
        r.Register("Reshape", null, ctx =>
        {
            var x = ctx.Input(0);
            var shape = ctx.Input(1);
            Span<int> target = stackalloc int[shape.size];
            int unknown = -1;
            long known = 1;
            for (int i = 0; i < target.Length; i++)
            {
                target[i] = checked((int)shape.LongAt(i));
                if (target[i] < -1)
                    throw ctx.Error($"Size {i} must be non-negative, not {target[i]} (requested shape [{string.Join(", ", shape.ToArray<long>())}]).");
                if (target[i] == -1) unknown = i; else known *= target[i];
            }
            if (unknown >= 0 && known > 0 && x.size % known == 0) target[unknown] = (int)(x.size / known);
            if (ShapeUtil.Count(target) != x.size || target.Contains(-1) || known < 0)
                throw ctx.Error($"Input to reshape is a tensor with {x.size} values, but the requested shape [{string.Join(", ", shape.ToArray<long>())}] does not fit it (input shape {TensorShape.Format(x.Dims)}).");
            ctx.SetOutputView(0, x, target);
        });
        r.Register("ExpandDims", null, ctx =>
        {
            var x = ctx.Input(0);
            int axis = ShapeUtil.NormalizeAxis((int)ctx.Input(1).LongAt(0), x.ndim + 1, ctx.Errors);
            Span<int> dims = stackalloc int[x.ndim + 1];
            for (int i = 0, k = 0; i < dims.Length; i++) dims[i] = i == axis ? 1 : x.Dims[k++];
            ctx.SetOutputView(0, x, dims);
        });
        r.Register("Squeeze", null, ctx =>
        {
            var x = ctx.Input(0);
            var axes = ctx.Attr<int[]>("squeeze_dims").Select(a => ShapeUtil.NormalizeAxis(a, x.ndim, ctx.Errors)).ToHashSet();
            foreach (var a in axes)
                if (x.Dims[a] != 1) throw ctx.Error($"Can not squeeze dim[{a}], expected a dimension of 1, got {x.Dims[a]}.");
            ctx.SetOutput(0, x.WithShape(x.Dims.Where((d, i) => axes.Count == 0 ? d != 1 : !axes.Contains(i)).ToArray()));
        });
        r.Register("Transpose", null, ctx =>
        {
            var x = ctx.Input(0);
            var perm = ctx.Input(1).ToArray<long>().Select(p => (int)p).ToArray();
            if (perm.Length != x.ndim || perm.Order().Where((p, i) => p != i).Any())
                throw ctx.Error($"perm [{string.Join(", ", perm)}] is not a permutation of the {x.ndim} dimensions of shape {TensorShape.Format(x.Dims)}.");
            var a = new PermuteAction(ctx, x, perm);
            TypeSwitch.Any(x.dtype, ref a);
        });
        r.Register("ConcatV2", null, ctx =>
        {
            int n = ctx.NumInputs - 1;
            var values = Enumerable.Range(0, n).Select(ctx.Input).ToArray();
            int axis = ShapeUtil.NormalizeAxis((int)ctx.Input(n).item<long>(), values[0].ndim, ctx.Errors);
            ctx.SetOutput(0, Concat(ctx, values, axis));
        });
        r.Register("Pack", null, ctx =>
        {
            var (expanded, axis) = PackAsConcat(ctx);
            ctx.SetOutput(0, Concat(ctx, expanded, axis));
        });
        r.Register("Unpack", null, ctx =>
        {
            var x = ctx.Input(0);
            int axis = ShapeUtil.NormalizeAxis(ctx.Attr<int>("axis"), x.ndim, ctx.Errors);
            Kernels.ArrayChecks.UnpackCount(ctx, x, axis);
            var parts = SplitAlong(x, axis, Enumerable.Repeat(1, x.Dims[axis]).ToArray());
            for (int i = 0; i < parts.Length; i++)
                ctx.SetOutput(i, parts[i].WithShape(x.Dims.Where((_, k) => k != axis).ToArray()));
        });
        r.Register("Split", null, ctx =>
        {
            var x = ctx.Input(1);
            int axis = ShapeUtil.NormalizeAxis((int)ctx.Input(0).item<long>(), x.ndim, ctx.Errors);
            int num = ctx.Attr<int>("num_split");
            if (x.Dims[axis] % num != 0)
                throw ctx.Error($"Number of ways to split should evenly divide the split dimension, but got split_dim {axis} (size = {x.Dims[axis]}) and num_split {num}.");
            var parts = SplitAlong(x, axis, Enumerable.Repeat(x.Dims[axis] / num, num).ToArray());
            for (int i = 0; i < parts.Length; i++) ctx.SetOutput(i, parts[i]);
        });
        r.Register("SplitV", null, ctx =>
        {
            var x = ctx.Input(0);
            var sizes = ctx.Input(1).ToArray<long>().Select(v => (int)v).ToArray();
            int axis = ShapeUtil.NormalizeAxis((int)ctx.Input(2).item<long>(), x.ndim, ctx.Errors);
            Kernels.ArrayChecks.SplitSizesCount(ctx, sizes.Length);
            int unknown = Array.IndexOf(sizes, -1);
            if (unknown >= 0) sizes[unknown] = x.Dims[axis] - (sizes.Sum() + 1);
            if (sizes.Sum() != x.Dims[axis] || sizes.Any(s => s < 0))
                throw ctx.Error($"size_splits [{string.Join(", ", sizes)}] must sum to the dimension {axis} of size {x.Dims[axis]}.");
            var parts = SplitAlong(x, axis, sizes);
            for (int i = 0; i < parts.Length; i++) ctx.SetOutput(i, parts[i]);
        });
        r.Register("Slice", null, ctx =>
        {
            var x = ctx.Input(0);
            var (begin, size) = SliceBounds(ctx, x);
            var a = new StridedAction(ctx, x, begin, Enumerable.Repeat(1, x.ndim).ToArray(), size, size);
            TypeSwitch.Any(x.dtype, ref a);
        });
        r.Register("StridedSlice", null, ctx =>
        {
            var x = ctx.Input(0);
            int[] Ints(int i) => ctx.Input(i).ToArray<long>().Select(v => (int)v).ToArray();
            var spec = StridedSliceSpec.Resolve(x.Dims, Ints(1), Ints(2), Ints(3), StridedSliceSpec.Masks(ctx.Self), ctx.Errors);
            var a = new StridedAction(ctx, x, spec.Starts, spec.Steps, spec.Counts, spec.OutputDims);
            TypeSwitch.Any(x.dtype, ref a);
        });
        r.Register("GatherV2", null, ctx =>
        {
            var p = ctx.Input(0);
            var indices = ctx.Input(1);
            int axis = ShapeUtil.NormalizeAxis((int)ctx.Input(2).item<long>(), p.ndim, ctx.Errors);
            int b = GatherBatch.Dims(ctx.Attr<int>("batch_dims"), axis, p.Dims, indices.Dims, ctx.Errors);
            var a = new GatherAction(ctx, p, indices.ToArray<long>(), indices.Dims, axis, b);
            TypeSwitch.Any(p.dtype, ref a);
        });
        r.Register("Tile", null, ctx =>
        {
            var x = ctx.Input(0);
            var m = ctx.Input(1).ToArray<long>().Select(v => (int)v).ToArray();
            if (m.Length != x.ndim || m.Any(v => v < 0))
                throw ctx.Error($"multiples [{string.Join(", ", m)}] must be non-negative, one per dimension of shape {TensorShape.Format(x.Dims)}.");
            var a = new TileAction(ctx, x, m);
            TypeSwitch.Any(x.dtype, ref a);
        });
        foreach (var type in new[] { "Pad", "PadV2" })
            r.Register(type, null, ctx =>
            {
                var x = ctx.Input(0);
                var p = ctx.Input(1).ToArray<long>().Select(v => (int)v).ToArray();
                if (p.Length != 2 * x.ndim || p.Any(v => v < 0))
                    throw ctx.Error($"paddings must be non-negative with shape [{x.ndim}, 2], got [{string.Join(", ", p)}].");
                var a = new PadAction(ctx, x, p, ctx.NumInputs > 2 ? ctx.Input(2) : null);
                TypeSwitch.Any(x.dtype, ref a);
            });
        r.Register("OneHot", null, ctx =>
        {
            var indices = ctx.Input(0);
            int depth = (int)ctx.Input(1).item<long>();
            if (depth < 0) throw ctx.Error($"depth must be non-negative, got {depth}.");
            int axis = ctx.Attr<int>("axis");
            if (axis == -1) axis = indices.ndim;
            var a = new OneHotAction(ctx, indices.ToArray<long>(), indices.Dims, depth, axis, ctx.Input(2), ctx.Input(3));
            TypeSwitch.Any(ctx.Input(2).dtype, ref a);
        });
        r.Register("SelectV2", null, ctx =>
        {
            var cond = ctx.Input(0);
            var t = ctx.Input(1);
            var e = ctx.Input(2);
            var outDims = Broadcasting.Shape(Broadcasting.Shape(t.Dims, e.Dims, ctx.Errors), cond.Dims, ctx.Errors);
            var a = new SelectAction(ctx, Broadcasting.To(cond.Buffer<bool>(), cond.Dims, outDims), t, e, outDims);
            TypeSwitch.Any(t.dtype, ref a);
        });
        r.Register("Select", null, ctx =>
        {
            var (cond, t, e) = (ctx.Input(0), ctx.Input(1), ctx.Input(2));
            var condDims = Kernels.ArrayChecks.SelectConditionDims(ctx, cond, t, e);
            var a = new SelectAction(ctx, Broadcasting.To(cond.Buffer<bool>(), condDims, t.Dims), t, e, t.Dims);
            TypeSwitch.Any(t.dtype, ref a);
        });
    }

    /// <summary>Slice's begin and size (a size of -1: to the end), checked against the input's dims.</summary>
    internal static (int[] Begin, int[] Size) SliceBounds(KernelContext ctx, TensorValue x)
    {
        var begin = ctx.Input(1).ToArray<long>().Select(v => (int)v).ToArray();
        var size = ctx.Input(2).ToArray<long>().Select(v => (int)v).ToArray();
        if (begin.Length != x.ndim || size.Length != x.ndim)
            throw ctx.Error($"begin and size must have {x.ndim} entries for shape {TensorShape.Format(x.Dims)}.");
        for (int i = 0; i < x.ndim; i++)
        {
            if (size[i] == -1) size[i] = x.Dims[i] - begin[i];
            if (begin[i] < 0 || size[i] < 0 || begin[i] + size[i] > x.Dims[i])
                throw ctx.Error($"Expected begin[{i}] = {begin[i]} and size[{i}] = {size[i]} to fit dimension {i} of size {x.Dims[i]} (shape {TensorShape.Format(x.Dims)}).");
        }
        return (begin, size);
    }

    /// <summary>Pack's inputs, checked to share one shape and each seen with a 1 inserted at the axis: a concat along it.</summary>
    internal static (TensorValue[] Expanded, int Axis) PackAsConcat(KernelContext ctx)
    {
        var values = Enumerable.Range(0, ctx.NumInputs).Select(ctx.Input).ToArray();
        int axis = ShapeUtil.NormalizeAxis(ctx.Attr<int>("axis"), values[0].ndim + 1, ctx.Errors);
        var expanded = values.Select(v =>
        {
            if (!v.Dims.AsSpan().SequenceEqual(values[0].Dims))
                throw ctx.Error($"Shapes of all inputs must match: {TensorShape.Format(values[0].Dims)} != {TensorShape.Format(v.Dims)}.");
            var d = v.Dims.ToList();
            d.Insert(axis, 1);
            return v.WithShape(d.ToArray());
        }).ToArray();
        return (expanded, axis);
    }

    /// <summary>The dims of <paramref name="values"/> concatenated along <paramref name="axis"/>, which must match elsewhere.</summary>
    internal static int[] ConcatDims(KernelContext ctx, TensorValue[] values, int axis)
    {
        var first = values[0];
        foreach (var v in values)
        {
            if (v.ndim != first.ndim || v.Dims.Where((d, i) => i != axis && d != first.Dims[i]).Any())
                throw ctx.Error($"ConcatOp: Dimensions of inputs should match except along axis {axis}: shape[0] = {TensorShape.Format(first.Dims)} vs. {TensorShape.Format(v.Dims)}.");
        }
        var outDims = first.shape;
        outDims[axis] = values.Sum(v => v.Dims[axis]);
        return outDims;
    }

    private static TensorValue Concat(KernelContext ctx, TensorValue[] values, int axis)
    {
        var first = values[0];
        var outDims = ConcatDims(ctx, values, axis);
        var result = TensorValue.Allocate(first.dtype, outDims);
        var (outer, _, inner) = Layout.Around(outDims, axis);
        int outRow = outDims[axis] * inner;
        int offset = 0;
        foreach (var v in values)
        {
            int chunk = v.Dims[axis] * inner;
            for (int o = 0; o < outer; o++) Array.Copy(v.Data, o * chunk, result.Data, o * outRow + offset, chunk);
            offset += chunk;
        }
        return result;
    }

    private static TensorValue[] SplitAlong(TensorValue x, int axis, int[] sizes)
    {
        var (outer, _, inner) = Layout.Around(x.Dims, axis);
        int row = x.Dims[axis] * inner;
        var parts = new TensorValue[sizes.Length];
        int offset = 0;
        for (int p = 0; p < sizes.Length; p++)
        {
            var dims = x.shape;
            dims[axis] = sizes[p];
            var part = TensorValue.Allocate(x.dtype, dims);
            int chunk = sizes[p] * inner;
            for (int o = 0; o < outer; o++) Array.Copy(x.Data, o * row + offset, part.Data, o * chunk, chunk);
            offset += chunk;
            parts[p] = part;
        }
        return parts;
    }

    private readonly struct PermuteAction(KernelContext ctx, TensorValue x, int[] perm) : IAnyAction
    {
        public void Invoke<T>()
        {
            var dims = x.Dims;
            ctx.SetOutput(0, new TensorValue(x.dtype, perm.Select(p => dims[p]).ToArray(), Layout.Permute(x.Buffer<T>(), x.Dims, perm)));
        }
    }

    private readonly struct StridedAction(KernelContext ctx, TensorValue x, int[] starts, int[] steps, int[] counts, int[] outDims) : IAnyAction
    {
        public void Invoke<T>() => ctx.SetOutput(0, new TensorValue(x.dtype, outDims, Layout.StridedCopy(x.Buffer<T>(), x.Dims, starts, steps, counts)));
    }

    /// <summary>out[o, i, :] = p[o, indices[batch(o), i], :] over the axis: o runs over p[:axis] (batches × middle rows), i over each batch's indices.</summary>
    private readonly struct GatherAction(KernelContext ctx, TensorValue p, long[] indices, int[] indexDims, int axis, int batchDims) : IAnyAction
    {
        public void Invoke<T>()
        {
            var (outer, n, inner) = Layout.Around(p.Dims, axis);
            var (_, middle, perBatch) = GatherBatch.Sizes(batchDims, axis, p.Dims, indexDims);
            for (int i = 0; i < indices.Length; i++)
                if (indices[i] < 0 || indices[i] >= n)
                    throw ctx.Error($"indices[{i}] = {indices[i]} is not in [0, {n}) (gathering from axis {axis} of shape {TensorShape.Format(p.Dims)}).");
            var src = p.Buffer<T>();
            var dst = new T[outer * perBatch * inner];
            for (int o = 0; o < outer; o++)
            {
                int first = o / Math.Max(1, middle) * perBatch; // this batch's first index
                for (int i = 0; i < perBatch; i++)
                    Array.Copy(src, (o * n + indices[first + i]) * inner, dst, (o * perBatch + i) * inner, inner);
            }
            int[] dims = [.. p.Dims[..axis], .. indexDims[batchDims..], .. p.Dims[(axis + 1)..]];
            ctx.SetOutput(0, new TensorValue(p.dtype, dims, dst));
        }
    }

    private readonly struct TileAction(KernelContext ctx, TensorValue x, int[] multiples) : IAnyAction
    {
        public void Invoke<T>()
        {
            // Tile is a broadcast of x seen as [1, d0, 1, d1, …] to [m0, d0, m1, d1, …].
            int rank = x.ndim;
            var inDims = new int[2 * rank];
            var outDims = new int[2 * rank];
            for (int i = 0; i < rank; i++)
            {
                inDims[2 * i] = 1; inDims[2 * i + 1] = x.Dims[i];
                outDims[2 * i] = multiples[i]; outDims[2 * i + 1] = x.Dims[i];
            }
            var data = rank == 0 ? (T[])x.Buffer<T>().Clone() : Broadcasting.To(x.Buffer<T>(), inDims, outDims);
            if (ReferenceEquals(data, x.Data)) data = (T[])data.Clone();
            var m = multiples;
            ctx.SetOutput(0, new TensorValue(x.dtype, x.Dims.Select((d, i) => d * m[i]).ToArray(), data));
        }
    }

    private readonly struct PadAction(KernelContext ctx, TensorValue x, int[] pads, TensorValue? constant) : IAnyAction
    {
        public void Invoke<T>()
        {
            int rank = x.ndim;
            var p = pads;
            var outDims = x.Dims.Select((d, i) => d + p[2 * i] + p[2 * i + 1]).ToArray();
            var dst = new T[ShapeUtil.Count(outDims)];
            var fill = constant is null ? (typeof(T) == typeof(string) ? (T)(object)"" : default!) : constant.Buffer<T>()[0];
            Array.Fill(dst, fill);
            if (x.size > 0)
            {
                var outStrides = ShapeUtil.Strides(outDims);
                int inner = rank == 0 ? 1 : x.Dims[^1];
                var idx = new int[rank];
                var src = x.Buffer<T>();
                for (int s = 0; s < src.Length; s += inner)
                {
                    int o = 0;
                    for (int k = 0; k < rank; k++) o += (idx[k] + pads[2 * k]) * outStrides[k];
                    Array.Copy(src, s, dst, o, inner);
                    for (int k = rank - 2; k >= 0; k--)
                    {
                        if (++idx[k] < x.Dims[k]) break;
                        idx[k] = 0;
                    }
                }
            }
            ctx.SetOutput(0, new TensorValue(x.dtype, outDims, dst));
        }
    }

    private readonly struct OneHotAction(KernelContext ctx, long[] indices, int[] indexDims, int depth, int axis, TensorValue on, TensorValue off) : IAnyAction
    {
        public void Invoke<T>()
        {
            var dims = indexDims.ToList();
            dims.Insert(axis, depth);
            int outer = 1, inner = 1;
            for (int i = 0; i < axis; i++) outer *= indexDims[i];
            for (int i = axis; i < indexDims.Length; i++) inner *= indexDims[i];
            var dst = new T[outer * depth * inner];
            T onV = on.Buffer<T>()[0], offV = off.Buffer<T>()[0];
            for (int o = 0; o < outer; o++)
                for (int d = 0; d < depth; d++)
                    for (int i = 0; i < inner; i++)
                        dst[(o * depth + d) * inner + i] = indices[o * inner + i] == d ? onV : offV;
            ctx.SetOutput(0, new TensorValue(on.dtype, dims.ToArray(), dst));
        }
    }

    private readonly struct SelectAction(KernelContext ctx, bool[] cond, TensorValue t, TensorValue e, int[] outDims) : IAnyAction
    {
        public void Invoke<T>()
        {
            var tv = Broadcasting.To(t.Buffer<T>(), t.Dims, outDims);
            var ev = Broadcasting.To(e.Buffer<T>(), e.Dims, outDims);
            var dst = new T[cond.Length];
            for (int i = 0; i < dst.Length; i++) dst[i] = cond[i] ? tv[i] : ev[i];
            ctx.SetOutput(0, new TensorValue(t.dtype, outDims, dst));
        }
    }
}

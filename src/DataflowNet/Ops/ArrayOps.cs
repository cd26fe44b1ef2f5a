namespace DataflowNet;

/// <summary>Ops that rearrange elements: reshape, transpose, concat, slice, gather, tile, pad, one_hot…</summary>
internal static class ArrayOps
{
    private static readonly DataType[] IndexTypes = [DataType.Int32, DataType.Int64];

    public static void Register()
    {
        OpRegistry.Register(new OpDef("Reshape", "tensor", "shape") { Gradient = ArrayGrad.Of("Reshape"), Shape = ReshapeShape });
        OpRegistry.Register(new OpDef("Transpose", "x", "perm")
        { Gradient = ArrayGrad.Of("Transpose"),
            Shape = c =>
            {
                var x = c.InputShape(0);
                var perm = c.ConstInts(1);
                if (perm is null) return c.One(c.InputType(0), x.IsUnknownRank ? TensorShape.Unknown : TensorShape.UnknownOfRank(x.Rank));
                if (!x.IsUnknownRank && perm.Length != x.Rank)
                    throw c.Error($"perm has {perm.Length} entries but the input {c.Input(0).name} has rank {x.Rank} (shape {x}).");
                if (perm.OrderBy(p => p).Where((p, i) => p != i).Any())
                    throw c.Error($"perm [{string.Join(", ", perm)}] is not a permutation of 0..{perm.Length - 1}.");
                return c.One(c.InputType(0), x.IsUnknownRank ? TensorShape.UnknownOfRank(perm.Length) : new TensorShape(perm.Select(p => x.Dims[p]).ToArray()));
            },
        });
        OpRegistry.Register(new OpDef("ExpandDims", "input", "dim")
        { Gradient = ArrayGrad.Of("ExpandDims"),
            Shape = c =>
            {
                var x = c.InputShape(0);
                var dim = c.ConstInt(1);
                if (x.IsUnknownRank || dim is null) return c.One(c.InputType(0), TensorShape.Unknown);
                var axis = ShapeUtil.NormalizeAxis(dim.Value, x.Rank + 1, c.Error);
                var dims = x.Dims.ToList();
                dims.Insert(axis, 1);
                return c.One(c.InputType(0), new TensorShape(dims.ToArray()));
            },
        });
        OpRegistry.Register(new OpDef("Squeeze", "input")
        { Gradient = ArrayGrad.Of("Squeeze"),
            Attrs = { ["squeeze_dims"] = Array.Empty<int>() },
            Shape = c =>
            {
                var x = c.InputShape(0);
                var axes = c.Attr<int[]>("squeeze_dims");
                if (x.IsUnknownRank) return c.One(c.InputType(0), TensorShape.Unknown);
                var drop = new bool[x.Rank];
                if (axes.Length == 0)
                {
                    for (int i = 0; i < x.Rank; i++)
                    {
                        if (x.Dims[i] == -1) return c.One(c.InputType(0), TensorShape.Unknown);
                        drop[i] = x.Dims[i] == 1;
                    }
                }
                foreach (var a in axes)
                {
                    var ax = ShapeUtil.NormalizeAxis(a, x.Rank, c.Error);
                    if (x.Dims[ax] != 1 && x.Dims[ax] != -1)
                        throw c.Error($"Can not squeeze dim[{ax}], expected a dimension of 1, got {x.Dims[ax]} (input shape {x}).");
                    drop[ax] = true;
                }
                return c.One(c.InputType(0), new TensorShape(x.Dims.Where((_, i) => !drop[i]).ToArray()));
            },
        });
        OpRegistry.Register(new OpDef("ConcatV2", "values*", "axis") { Gradient = ArrayGrad.Of("ConcatV2"), Shape = ConcatShape });
        OpRegistry.Register(new OpDef("Pack", "values*")
        { Gradient = ArrayGrad.Of("Pack"),
            Attrs = { ["axis"] = 0 },
            Shape = c =>
            {
                var t = c.SameType(Enumerable.Range(0, c.NumInputs).ToArray());
                var shape = c.InputShape(0);
                for (int i = 1; i < c.NumInputs; i++)
                    shape = shape.MergeWith(c.InputShape(i))
                        ?? throw c.Error($"Shapes of all inputs must match: values[0].shape = {c.InputShape(0)} != values[{i}].shape = {c.InputShape(i)}.");
                if (shape.IsUnknownRank) return c.One(t, TensorShape.Unknown);
                var axis = ShapeUtil.NormalizeAxis(c.Attr<int>("axis"), shape.Rank + 1, c.Error);
                var dims = shape.Dims.ToList();
                dims.Insert(axis, c.NumInputs);
                return c.One(t, new TensorShape(dims.ToArray()));
            },
        });
        OpRegistry.Register(new OpDef("Unpack", "value")
        { Gradient = ArrayGrad.Of("Unpack"),
            Attrs = { ["axis"] = 0 },
            Shape = c =>
            {
                var x = c.InputShape(0);
                int num = c.Attr<int>("num");
                if (x.IsUnknownRank) return Enumerable.Repeat(new OutputSpec(c.InputType(0), TensorShape.Unknown), num).ToArray();
                var axis = ShapeUtil.NormalizeAxis(c.Attr<int>("axis"), x.Rank, c.Error);
                if (x.Dims[axis] >= 0 && x.Dims[axis] != num)
                    throw c.Error($"Dimension {axis} of {c.Input(0).name} (shape {x}) has {x.Dims[axis]} entries, not num = {num}.");
                var dims = x.Dims.Where((_, i) => i != axis).ToArray();
                return Enumerable.Repeat(new OutputSpec(c.InputType(0), new TensorShape(dims)), num).ToArray();
            },
        });
        OpRegistry.Register(new OpDef("Split", "split_dim", "value")
        { Gradient = ArrayGrad.Of("Split"),
            Shape = c =>
            {
                int num = c.Attr<int>("num_split");
                if (num < 1) throw c.Error($"num_split must be at least 1, got {num}.");
                var x = c.InputShape(1);
                var axisC = c.ConstInt(0);
                if (x.IsUnknownRank || axisC is null) return Enumerable.Repeat(new OutputSpec(c.InputType(1), TensorShape.Unknown), num).ToArray();
                var axis = ShapeUtil.NormalizeAxis(axisC.Value, x.Rank, c.Error);
                if (x.Dims[axis] >= 0 && x.Dims[axis] % num != 0)
                    throw c.Error($"Number of ways to split should evenly divide the split dimension, but got split_dim {axis} (size = {x.Dims[axis]}) and num_split {num}.");
                var part = x.WithDim(axis, x.Dims[axis] < 0 ? -1 : x.Dims[axis] / num);
                return Enumerable.Repeat(new OutputSpec(c.InputType(1), part), num).ToArray();
            },
        });
        OpRegistry.Register(new OpDef("SplitV", "value", "size_splits", "split_dim")
        { Gradient = ArrayGrad.Of("SplitV"),
            Shape = c =>
            {
                int num = c.Attr<int>("num_split");
                var x = c.InputShape(0);
                var sizes = c.ConstInts(1);
                var axisC = c.ConstInt(2);
                if (x.IsUnknownRank || axisC is null || sizes is null)
                    return Enumerable.Repeat(new OutputSpec(c.InputType(0), TensorShape.Unknown), num).ToArray();
                var axis = ShapeUtil.NormalizeAxis(axisC.Value, x.Rank, c.Error);
                if (sizes.Length != num) throw c.Error($"size_splits has {sizes.Length} entries, expected num_split = {num}.");
                if (sizes.Count(s => s == -1) > 1 || sizes.Any(s => s < -1))
                    throw c.Error($"size_splits [{string.Join(", ", sizes)}] may hold one -1 and otherwise only sizes >= 0.");
                // One size may be -1: it takes what the others leave (its part stays unknown when the dimension is).
                int known = sizes.Where(s => s >= 0).Sum(), unknownAt = Array.IndexOf(sizes, -1), dim = x.Dims[axis];
                if (dim >= 0 && (unknownAt < 0 ? known != dim : known > dim))
                    throw c.Error($"Determined shape must either match input shape along split_dim exactly if fully specified, or be less than the size of the input along split_dim if not fully specified. Got: {known} vs {dim}.");
                if (unknownAt >= 0 && dim >= 0) sizes[unknownAt] = dim - known;
                return sizes.Select(s => new OutputSpec(c.InputType(0), x.WithDim(axis, s))).ToArray();
            },
        });
        OpRegistry.Register(new OpDef("Slice", "input", "begin", "size")
        { Gradient = ArrayGrad.Of("Slice"),
            Shape = c =>
            {
                var x = c.InputShape(0);
                var begin = c.ConstInts(1);
                var size = c.ConstInts(2);
                if (x.IsUnknownRank || begin is null || size is null)
                    return c.One(c.InputType(0), x.IsUnknownRank ? TensorShape.Unknown : TensorShape.UnknownOfRank(x.Rank));
                if (begin.Length != x.Rank || size.Length != x.Rank)
                    throw c.Error($"begin ({begin.Length} entries) and size ({size.Length} entries) must both have one entry per dimension of the input (shape {x}).");
                var dims = new int[x.Rank];
                for (int i = 0; i < x.Rank; i++)
                {
                    var d = x.Dims[i];
                    dims[i] = size[i] == -1 ? (d < 0 ? -1 : d - begin[i]) : size[i];
                    if (d >= 0 && (begin[i] < 0 || begin[i] + dims[i] > d || dims[i] < 0))
                        throw c.Error($"Expected begin[{i}] = {begin[i]} and size[{i}] = {size[i]} to fit dimension {i} of size {d} (input shape {x}).");
                }
                return c.One(c.InputType(0), new TensorShape(dims));
            },
        });
        OpRegistry.Register(new OpDef("StridedSlice", "input", "begin", "end", "strides")
        { Gradient = ArrayGrad.Of("StridedSlice"),
            Attrs = { ["begin_mask"] = 0, ["end_mask"] = 0, ["ellipsis_mask"] = 0, ["new_axis_mask"] = 0, ["shrink_axis_mask"] = 0 },
            Shape = c =>
            {
                var x = c.InputShape(0);
                var (b, e, s) = (c.ConstInts(1), c.ConstInts(2), c.ConstInts(3));
                if (x.IsUnknownRank || b is null || e is null || s is null) return c.One(c.InputType(0), TensorShape.Unknown);
                var spec = StridedSliceSpec.Resolve(x.Dims, b, e, s, StridedSliceSpec.Masks(c.Op), c.Error);
                return c.One(c.InputType(0), new TensorShape(spec.OutputDims));
            },
        });
        OpRegistry.Register(new OpDef("GatherV2", "params", "indices", "axis")
        { Gradient = ArrayGrad.Of("GatherV2"),
            Attrs = { ["batch_dims"] = 0 },
            Shape = c =>
            {
                c.RequireType(1, IndexTypes);
                var p = c.InputShape(0);
                var idx = c.InputShape(1);
                var axisC = c.ConstInt(2);
                if (p.IsUnknownRank || idx.IsUnknownRank || axisC is null) return c.One(c.InputType(0), TensorShape.Unknown);
                var axis = ShapeUtil.NormalizeAxis(axisC.Value, p.Rank, c.Error);
                int b = Kernels.GatherBatch.Dims(c.Attr<int>("batch_dims"), axis, p.Dims, idx.Dims, c.Error);
                return c.One(c.InputType(0), new TensorShape([.. p.Dims[..axis], .. idx.Dims[b..], .. p.Dims[(axis + 1)..]]));
            },
        });
        OpRegistry.Register(new OpDef("Tile", "input", "multiples")
        { Gradient = ArrayGrad.Of("Tile"),
            Shape = c =>
            {
                var x = c.InputShape(0);
                var m = c.ConstInts(1);
                if (x.IsUnknownRank || m is null) return c.One(c.InputType(0), x.IsUnknownRank ? TensorShape.Unknown : TensorShape.UnknownOfRank(x.Rank));
                if (m.Length != x.Rank) throw c.Error($"multiples has {m.Length} entries, expected one per dimension of the input (shape {x}).");
                if (m.Any(v => v < 0)) throw c.Error($"multiples must be non-negative, got [{string.Join(", ", m)}].");
                return c.One(c.InputType(0), new TensorShape(x.Dims.Select((d, i) => d < 0 ? -1 : d * m[i]).ToArray()));
            },
        });
        OpRegistry.Register(new OpDef("Pad", "input", "paddings") { Gradient = ArrayGrad.Of("Pad"), Shape = PadShape });
        OpRegistry.Register(new OpDef("PadV2", "input", "paddings", "constant_values") { Gradient = ArrayGrad.Of("PadV2"), Shape = PadShape });
        OpRegistry.Register(new OpDef("OneHot", "indices", "depth", "on_value", "off_value")
        { Gradient = ArrayGrad.Of("OneHot"),
            Attrs = { ["axis"] = -1 },
            Shape = c =>
            {
                c.RequireType(0, [DataType.Int32, DataType.Int64, DataType.UInt8]);
                var t = c.SameType(2, 3);
                var depth = c.ConstInt(1);
                if (depth < 0) throw c.Error($"depth must be non-negative, got {depth}.");
                var idx = c.InputShape(0);
                if (idx.IsUnknownRank) return c.One(t, TensorShape.Unknown);
                var axis = c.Attr<int>("axis");
                if (axis < -1 || axis > idx.Rank) throw c.Error($"axis must be -1 or in [0, {idx.Rank}], got {axis}.");
                var dims = idx.Dims.ToList();
                dims.Insert(axis == -1 ? idx.Rank : axis, depth ?? -1);
                return c.One(t, new TensorShape(dims.ToArray()));
            },
        });
    }

    private static OutputSpec[] ReshapeShape(InferenceContext c)
    {
        c.RequireType(1, IndexTypes);
        var x = c.InputShape(0);
        var target = c.ConstInts(1);
        if (target is null)
        {
            var s = c.InputShape(1);
            return c.One(c.InputType(0), s.Rank == 1 && s[0] >= 0 ? TensorShape.UnknownOfRank(s[0]) : TensorShape.Unknown);
        }
        if (target.Count(d => d == -1) > 1) throw c.Error($"Only one input size may be -1, not both in shape [{string.Join(", ", target)}].");
        if (target.Any(d => d < -1)) throw c.Error($"Size must be non-negative, got shape [{string.Join(", ", target)}].");
        var known = target.Where(d => d >= 0).Aggregate(1L, (a, d) => a * d);
        var n = x.NumElements();
        if (n < 0) return c.One(c.InputType(0), new TensorShape(target));
        var unknownAt = Array.IndexOf(target, -1);
        if (unknownAt >= 0)
        {
            if (known == 0 || n % known != 0)
                throw c.Error($"Cannot reshape a tensor with {n} elements to shape [{string.Join(", ", target)}]: {n} is not divisible by {known} (input {c.Input(0).name}, shape {x}).");
            target[unknownAt] = (int)(n / known);
        }
        else if (known != n)
            throw c.Error($"Cannot reshape a tensor with {n} elements to shape [{string.Join(", ", target)}] ({known} elements) (input {c.Input(0).name}, shape {x}).");
        return c.One(c.InputType(0), new TensorShape(target));
    }

    private static OutputSpec[] ConcatShape(InferenceContext c)
    {
        int n = c.NumInputs - 1;
        if (n < 1) throw c.Error("ConcatV2 needs at least one value.");
        var t = c.SameType(Enumerable.Range(0, n).ToArray());
        c.RequireType(n, IndexTypes);
        var axisC = c.ConstInt(n);
        var first = c.InputShape(0);
        if (axisC is null || first.IsUnknownRank) return c.One(t, first.IsUnknownRank ? TensorShape.Unknown : TensorShape.UnknownOfRank(first.Rank));
        var axis = ShapeUtil.NormalizeAxis(axisC.Value, first.Rank, c.Error);
        var dims = first.as_list();
        for (int i = 1; i < n; i++)
        {
            var s = c.InputShape(i);
            if (s.IsUnknownRank) { dims[axis] = -1; continue; }
            if (s.Rank != first.Rank)
                throw c.Error($"Ranks of all input tensors should match: shape[0] = {first} vs. shape[{i}] = {s}.");
            for (int d = 0; d < dims.Length; d++)
            {
                if (d == axis) { dims[d] = dims[d] < 0 || s.Dims[d] < 0 ? -1 : dims[d] + s.Dims[d]; continue; }
                if (dims[d] >= 0 && s.Dims[d] >= 0 && dims[d] != s.Dims[d])
                    throw c.Error($"Dimension {d} in both shapes must be equal: shape[0] = {first} vs. shape[{i}] = {s} (concatenating along axis {axis}).");
                if (dims[d] < 0) dims[d] = s.Dims[d];
            }
        }
        return c.One(t, new TensorShape(dims));
    }

    private static OutputSpec[] PadShape(InferenceContext c)
    {
        var x = c.InputShape(0);
        c.RequireType(1, IndexTypes);
        if (c.NumInputs > 2) c.SameType(0, 2);
        var p = c.ConstInts(1);
        if (x.IsUnknownRank || p is null) return c.One(c.InputType(0), x.IsUnknownRank ? TensorShape.Unknown : TensorShape.UnknownOfRank(x.Rank));
        if (p.Length != 2 * x.Rank)
            throw c.Error($"paddings must have shape [{x.Rank}, 2] for an input of shape {x}, got {p.Length} values.");
        if (p.Any(v => v < 0)) throw c.Error($"paddings must be non-negative, got [{string.Join(", ", p)}].");
        return c.One(c.InputType(0), new TensorShape(x.Dims.Select((d, i) => d < 0 ? -1 : d + p[2 * i] + p[2 * i + 1]).ToArray()));
    }
}

/// <summary>Python slicing semantics of StridedSlice, resolved against concrete dimensions; shared by the shape function and the kernels.</summary>
internal readonly record struct StridedSliceSpec(int[] Starts, int[] Steps, int[] Counts, int[] OutputDims)
{
    public readonly record struct MaskSet(int Begin, int End, int Ellipsis, int NewAxis, int Shrink);

    public static MaskSet Masks(Operation op) => new(op.get_attr<int>("begin_mask"), op.get_attr<int>("end_mask"),
        op.get_attr<int>("ellipsis_mask"), op.get_attr<int>("new_axis_mask"), op.get_attr<int>("shrink_axis_mask"));

    /// <summary>Per input dimension: first index, step and count; and the output dims (new axes in, shrunk axes out). -1 dims stay unknown.</summary>
    public static StridedSliceSpec Resolve(int[] dims, int[] begin, int[] end, int[] strides, MaskSet m, Func<string, Exception> error)
    {
        int n = begin.Length;
        if (end.Length != n || strides.Length != n)
            throw error($"begin, end and strides must have the same length, got {begin.Length}, {end.Length}, {strides.Length}.");
        int rank = dims.Length;
        int real = 0;
        bool hasEllipsis = false;
        for (int i = 0; i < n; i++)
        {
            if ((m.Ellipsis >> i & 1) != 0) { if (hasEllipsis) throw error("Multiple ellipses in a slice spec are not allowed."); hasEllipsis = true; }
            else if ((m.NewAxis >> i & 1) == 0) real++;
        }
        if (real > rank) throw error($"Index out of range: the slice has {real} indices but the tensor has rank {rank}.");
        var starts = new int[rank];
        var steps = new int[rank];
        var counts = new int[rank];
        var outDims = new List<int>();
        int dim = 0;
        for (int i = 0; i < n; i++)
        {
            if ((m.Ellipsis >> i & 1) != 0)
            {
                for (int k = 0; k < rank - real; k++, dim++) Full(dim);
                continue;
            }
            if ((m.NewAxis >> i & 1) != 0) { outDims.Add(1); continue; }
            int d = dims[dim];
            int stride = strides[i];
            if (stride == 0) throw error($"strides[{i}] must be non-zero.");
            if ((m.Shrink >> i & 1) != 0)
            {
                // TensorFlow takes element begin[i] only walking forwards (x[3:2:-1] with shrink is refused, not x[3]).
                if (stride < 0) throw error("only stride 1 allowed on non-range indexing.");
                int idx = begin[i];
                if (d >= 0)
                {
                    if (idx < -d || idx >= d) throw error($"slice index {idx} of dimension {dim} out of bounds (size {d}).");
                    if (idx < 0) idx += d;
                }
                starts[dim] = idx; steps[dim] = 1; counts[dim] = 1;
                dim++;
                continue;
            }
            if (d < 0) { counts[dim] = -1; outDims.Add(-1); dim++; continue; }
            int lo = stride > 0 ? 0 : -1, hi = stride > 0 ? d : d - 1;
            int s = (m.Begin >> i & 1) != 0 ? (stride > 0 ? 0 : d - 1) : Math.Clamp(begin[i] < 0 ? begin[i] + d : begin[i], lo, hi);
            int e = (m.End >> i & 1) != 0 ? (stride > 0 ? d : -1) : Math.Clamp(end[i] < 0 ? end[i] + d : end[i], lo, hi);
            int count = stride > 0 ? Math.Max(0, (e - s + stride - 1) / stride) : Math.Max(0, (s - e - stride - 1) / -stride);
            starts[dim] = s; steps[dim] = stride; counts[dim] = count;
            outDims.Add(count);
            dim++;
        }
        while (dim < rank) Full(dim++);
        return new StridedSliceSpec(starts, steps, counts, outDims.ToArray());

        void Full(int k)
        {
            starts[k] = 0; steps[k] = 1; counts[k] = dims[k];
            outDims.Add(dims[k]);
        }
    }
}

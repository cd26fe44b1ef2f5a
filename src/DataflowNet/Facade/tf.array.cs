namespace DataflowNet;

public static partial class tf
{
    public static Tensor identity(TensorLike input, string? name = null) => Unary("Identity", input, name);
    public static Tensor stop_gradient(TensorLike input, string? name = null) => Unary("StopGradient", input, name);

    public static Tensor reshape(TensorLike tensor, TensorShape shape, string? name = null) =>
        Op("Reshape", [tensor.ToTensor(), IntVector(shape.Dims, "shape")], name: name);

    public static Tensor reshape(TensorLike tensor, Tensor shape, string? name = null) =>
        Op("Reshape", [tensor.ToTensor(), shape], name: name);

    /// <summary>Permutes dimensions; without <paramref name="perm"/>, reverses them (a matrix transpose for rank 2).</summary>
    public static Tensor transpose(TensorLike a, int[]? perm = null, string? name = null)
    {
        var x = a.ToTensor();
        if (perm is null)
        {
            if (x.shape.IsUnknownRank)
                return Op("Transpose", [x, subtract(subtract(rank(x), 1), range(0, rank(x), 1))], name: name);
            perm = Enumerable.Range(0, x.shape.Rank).Reverse().ToArray();
        }
        return Op("Transpose", [x, IntVector(perm, "perm")], name: name);
    }

    public static Tensor expand_dims(TensorLike input, int axis, string? name = null) =>
        Op("ExpandDims", [input.ToTensor(), IntScalar(axis, "dim")], name: name);

    public static Tensor squeeze(TensorLike input, int[]? axis = null, string? name = null) =>
        Op("Squeeze", [input.ToTensor()], new() { ["squeeze_dims"] = axis ?? [] }, name);

    public static Tensor concat(IEnumerable<TensorLike> values, int axis, string? name = null)
    {
        var tensors = SameTypeList(values);
        return Op("ConcatV2", [.. tensors, IntScalar(axis, "axis")], new() { ["N"] = tensors.Length }, name ?? "concat");
    }

    public static Tensor stack(IEnumerable<TensorLike> values, int axis = 0, string? name = null)
    {
        var tensors = SameTypeList(values);
        return Op("Pack", tensors, new() { ["N"] = tensors.Length, ["axis"] = axis }, name ?? "stack");
    }

    public static Tensor[] unstack(TensorLike value, int? num = null, int axis = 0, string? name = null)
    {
        var x = value.ToTensor();
        if (num is null)
        {
            if (x.shape.IsUnknownRank) throw new InvalidArgumentException($"Cannot infer num from shape {x.shape} of {x.name}; pass num.");
            var n = x.shape[axis];
            if (n < 0) throw new InvalidArgumentException($"Cannot infer num from shape {x.shape} of {x.name}; pass num.");
            num = n;
        }
        return OpN("Unpack", [x], new() { ["num"] = num.Value, ["axis"] = axis }, name ?? "unstack");
    }

    /// <summary>Splits into <paramref name="num_split"/> equal parts along <paramref name="axis"/>.</summary>
    public static Tensor[] split(TensorLike value, int num_split, int axis = 0, string? name = null) =>
        OpN("Split", [IntScalar(axis, "split_dim"), value.ToTensor()], new() { ["num_split"] = num_split }, name ?? "split");

    /// <summary>Splits into parts of the given sizes along <paramref name="axis"/> (one size may be -1).</summary>
    public static Tensor[] split(TensorLike value, int[] size_splits, int axis = 0, string? name = null) =>
        OpN("SplitV", [value.ToTensor(), IntVector(size_splits, "size_splits"), IntScalar(axis, "split_dim")],
            new() { ["num_split"] = size_splits.Length }, name ?? "split");

    public static Tensor slice(TensorLike input, int[] begin, int[] size, string? name = null) =>
        Op("Slice", [input.ToTensor(), IntVector(begin, "begin"), IntVector(size, "size")], name: name);

    public static Tensor strided_slice(TensorLike input, int[] begin, int[] end, int[]? strides = null, int begin_mask = 0, int end_mask = 0,
                                       int ellipsis_mask = 0, int new_axis_mask = 0, int shrink_axis_mask = 0, string? name = null) =>
        Op("StridedSlice", [input.ToTensor(), IntVector(begin, "begin"), IntVector(end, "end"), IntVector(strides ?? Enumerable.Repeat(1, begin.Length).ToArray(), "strides")],
            new()
            {
                ["begin_mask"] = begin_mask, ["end_mask"] = end_mask, ["ellipsis_mask"] = ellipsis_mask,
                ["new_axis_mask"] = new_axis_mask, ["shrink_axis_mask"] = shrink_axis_mask,
            }, name);

    /// <summary>
    /// The tensor with the given axes reversed (TensorFlow's ReverseV2): a strided slice with stride −1 on those axes,
    /// so it runs and differentiates on every device through StridedSlice's kernels and gradient.
    /// </summary>
    public static Tensor reverse(TensorLike tensor, int[] axis, string? name = null)
    {
        var x = tensor.ToTensor();
        if (x.shape.IsUnknownRank) throw new InvalidArgumentException($"tf.reverse needs the rank of {x.name} known.");
        int rank = x.shape.Rank;
        var strides = Enumerable.Repeat(1, rank).ToArray();
        foreach (var a in axis)
        {
            if (a < -rank || a >= rank) throw new InvalidArgumentException($"tf.reverse: axis {a} is out of range for {x.name} of rank {rank} (valid: [{-rank}, {rank})).");
            int d = a < 0 ? a + rank : a;
            if (strides[d] == -1) throw new InvalidArgumentException($"tf.reverse: axis {d} specified more than once.");
            strides[d] = -1;
        }
        int all = (1 << rank) - 1;
        return strided_slice(x, new int[rank], new int[rank], strides, begin_mask: all, end_mask: all, name: name ?? "ReverseV2");
    }

    /// <summary>
    /// Slices of params along <paramref name="axis"/> at <paramref name="indices"/>: the result has shape
    /// params.shape[:axis] + indices.shape[batch_dims:] + params.shape[axis + 1:]. With <paramref name="batch_dims"/>
    /// = b, the first b dims of params and indices are a batch, and each batch element gathers with its own indices
    /// (the axis defaults to b, as TensorFlow's).
    /// </summary>
    public static Tensor gather(TensorLike @params, TensorLike indices, int? axis = null, string? name = null, int batch_dims = 0) =>
        Op("GatherV2", [@params.ToTensor(), indices.ToTensor(DataType.Int32), IntScalar(axis ?? batch_dims, "axis")],
           new() { ["batch_dims"] = batch_dims }, name: name);

    public static Tensor tile(TensorLike input, int[] multiples, string? name = null) =>
        Op("Tile", [input.ToTensor(), IntVector(multiples, "multiples")], name: name);

    /// <summary>
    /// Pads; <paramref name="paddings"/>[i] = {before, after} for dimension i. CONSTANT fills with
    /// <paramref name="constant_values"/> (0 by default); REFLECT mirrors the edges without repeating them and
    /// SYMMETRIC with them, as TensorFlow's MirrorPad ([1, 2, 3] padded by 2 each side: 3 2 1 2 3 2 1, and 2 1 1 2 3 3 2).
    /// </summary>
    public static Tensor pad(TensorLike tensor, int[,] paddings, string mode = "CONSTANT", TensorLike? constant_values = null, string? name = null)
    {
        var kind = mode.ToUpperInvariant();
        if (kind is "REFLECT" or "SYMMETRIC")
        {
            if (constant_values is not null) throw new InvalidArgumentException($"tf.pad mode {kind} takes no constant_values.");
            return MirrorPad.Build(tensor.ToTensor(), paddings, reflect: kind == "REFLECT", name);
        }
        if (kind != "CONSTANT") throw new InvalidArgumentException($"tf.pad mode must be CONSTANT, REFLECT or SYMMETRIC, got '{mode}'.");
        var x = tensor.ToTensor();
        var p = ValueConversion.FromObject(paddings, DataType.Int32, "paddings");
        var paddingsT = constant_value(p, "paddings");
        if (constant_values is null) return Op("Pad", [x, paddingsT], name: name);
        return Op("PadV2", [x, paddingsT, constant_values.Value.ToTensor(x.dtype, "constant_values")], name: name);
    }

    /// <summary>
    /// One-hot vectors along <paramref name="axis"/>. Without <paramref name="dtype"/>, the dtype is on_value's (else
    /// off_value's), else float32, as in TensorFlow: one_hot(i, 3, on_value: 5, off_value: -1) is int32.
    /// </summary>
    public static Tensor one_hot(TensorLike indices, int depth, TensorLike? on_value = null, TensorLike? off_value = null,
                                 int axis = -1, DataType? dtype = null, string? name = null)
    {
        var type = dtype ?? on_value?.DType ?? off_value?.DType ?? DataType.Float32;
        var on = (on_value ?? 1).ToTensor(type, "on_value");
        var off = (off_value ?? 0).ToTensor(type, "off_value");
        return Op("OneHot", [indices.ToTensor(DataType.Int32), IntScalar(depth, "depth"), on, off], new() { ["axis"] = axis }, name);
    }

    // shape, size, rank, zeros_like and ones_like of a statically known shape are constants, as in TensorFlow's graph
    // mode: they do not read the value, so a variable initialized from tf.zeros_like(w) does not wait for w's. Not for
    // a value inside a tf.cond or tf.while_loop (or while building one): there the op form keeps the value's deadness,
    // as TensorFlow's optimize=False does for the gradients of a Switch.
    private static bool Static(Tensor t) => t.shape.IsFullyDefined && OutsideControlFlow(t);

    /// <summary>Whether t is live in every run: made outside any cond or loop, and not one of a Switch's two outputs.</summary>
    private static bool OutsideControlFlow(Tensor t) => t.op.FlowContext is null && t.graph.FlowContext is null && t.op.type != "Switch";

    public static Tensor shape(TensorLike input, DataType out_type = DataType.Int32, string? name = null)
    {
        var t = input.ToTensor();
        if (Static(t)) using (t.graph.as_default()) return constant(ShapeValue(t.shape.Dims, out_type), name: name ?? "Shape");
        return Op("Shape", [t], new() { ["out_type"] = out_type }, name);
    }

    public static Tensor size(TensorLike input, DataType out_type = DataType.Int32, string? name = null)
    {
        var t = input.ToTensor();
        if (Static(t))
        {
            using var _ = t.graph.as_default();
            long count = t.shape.Dims.Aggregate(1L, (a, d) => a * d);
            return out_type == DataType.Int64 ? constant(count, name: name ?? "Size") : constant(checked((int)count), name: name ?? "Size");
        }
        return Op("Size", [t], new() { ["out_type"] = out_type }, name);
    }

    public static Tensor rank(TensorLike input, string? name = null)
    {
        var t = input.ToTensor();
        if (t.shape.IsUnknownRank || !OutsideControlFlow(t)) return Op("Rank", [t], name: name);
        using (t.graph.as_default()) return constant(t.shape.Rank, name: name ?? "Rank");
    }

    private static object ShapeValue(int[] dims, DataType outType) =>
        outType == DataType.Int64 ? dims.Select(d => (long)d).ToArray() : dims.ToArray();

    public static Tensor fill(TensorShape dims, TensorLike value, string? name = null) =>
        Op("Fill", [IntVector(dims.Dims, "dims"), value.ToTensor()], name: name);

    public static Tensor fill(Tensor dims, TensorLike value, string? name = null) => Op("Fill", [dims, value.ToTensor()], name: name);

    public static Tensor zeros(TensorShape shape, DataType dtype = DataType.Float32, string? name = null) =>
        fill(shape, constant_value(ValueConversion.Convert(TensorValue.Scalar(0), dtype, ConversionMode.Truncating, "zeros")), name ?? "zeros");

    public static Tensor ones(TensorShape shape, DataType dtype = DataType.Float32, string? name = null) =>
        fill(shape, constant_value(ValueConversion.Convert(TensorValue.Scalar(1), dtype, ConversionMode.Truncating, "ones")), name ?? "ones");

    public static Tensor zeros_like(TensorLike tensor, DataType? dtype = null, string? name = null) => Like(tensor, dtype, one: false, name);

    public static Tensor ones_like(TensorLike tensor, DataType? dtype = null, string? name = null) => Like(tensor, dtype, one: true, name);

    private static Tensor Like(TensorLike tensor, DataType? dtype, bool one, string? name)
    {
        var t = tensor.ToTensor();
        using var inItsGraph = t.graph.as_default(); // the constants go where t is, not into the default graph
        var type = dtype ?? t.dtype;
        if (type == DataType.String || !Static(t))
        {
            if (type == t.dtype) return Op(one ? "OnesLike" : "ZerosLike", [t], name: name);
            // Another dtype and a shape known only at run time: filled to the value's run-time shape.
            var fillValue = constant_value(ValueConversion.Convert(TensorValue.Scalar(one ? 1 : 0), type, ConversionMode.Truncating, one ? "ones_like" : "zeros_like"));
            return fill(Op("Shape", [t], new() { ["out_type"] = DataType.Int32 }), fillValue, name ?? (one ? "ones_like" : "zeros_like"));
        }
        return one ? ones(t.shape, type, name ?? "ones_like") : zeros(t.shape, type, name ?? "zeros_like");
    }

    /// <summary>Python's range: tf.range(5) is [0 1 2 3 4]; floats when any argument is a float.</summary>
    public static Tensor range(TensorLike start, TensorLike? limit = null, TensorLike? delta = null, DataType? dtype = null, string? name = null)
    {
        if (limit is null) (start, limit) = (0, start);
        var parts = new[] { start, limit.Value, delta ?? 1 };
        var type = dtype ?? parts.Select(p => p.DType)
            .OrderBy(t => t switch { DataType.Int32 => 0, DataType.Int64 => 1, DataType.Float32 => 2, _ => 3 }).Last();
        var tensors = parts.Select((p, i) => p.IsTensor ? cast(p, type) : p.ToTensor(type, i switch { 0 => "start", 1 => "limit", _ => "delta" })).ToArray();
        return Op("Range", tensors, name: name ?? "range");
    }

    /// <summary>
    /// A mask of the first lengths[i] positions of each row, as TensorFlow's: shape lengths.shape + [maxlen], maxlen
    /// the largest length when not given; bools unless <paramref name="dtype"/> says otherwise (float32 for a loss).
    /// Composed as range(maxlen) &lt; expand_dims(lengths, -1).
    /// </summary>
    public static Tensor sequence_mask(TensorLike lengths, TensorLike? maxlen = null, DataType? dtype = null, string? name = null)
    {
        var l = lengths.ToTensor();
        if (!l.dtype.IsInteger()) throw new InvalidArgumentException($"sequence_mask: lengths must be integers, got {l.dtype.Name()} ({l.name}).");
        using var scope = l.graph.name_scope(name ?? "SequenceMask");
        var limit = maxlen is { } m ? m.IsTensor ? cast(m, l.dtype) : m.ToTensor(l.dtype, "maxlen") : reduce_max(l);
        var mask = less(range(0, limit, dtype: l.dtype), expand_dims(l, -1));
        return dtype is null or DataType.Bool ? mask : cast(mask, dtype.Value);
    }

    public static Tensor linspace(TensorLike start, TensorLike stop, int num, string? name = null)
    {
        var (a, b) = Operands(start, stop);
        return Op("LinSpace", [a, b, IntScalar(num, "num")], name: name);
    }

    private static Tensor[] SameTypeList(IEnumerable<TensorLike> values)
    {
        var list = values.ToList();
        if (list.Count == 0) throw new InvalidArgumentException("Expected a non-empty list of tensors.");
        var first = list.FirstOrDefault(v => v.IsTensor).Tensor;
        return list.Select(v => v.ToTensor(first?.dtype)).ToArray();
    }
}

namespace DataflowNet;

public static partial class tf
{
    private static Tensor Binary(string type, TensorLike x, TensorLike y, string? name)
    {
        if (x.IsTensor && y.IsTensor) return Op(type, [x.Tensor!, y.Tensor!], name: name);
        // A literal operand becomes a Const inside the op's name scope, as TensorFlow's op wrappers convert inputs:
        // tf.multiply(w, 2, name: "y") is Mul "y" reading Const "y/y", not Const "y" and Mul "y_1".
        using var scope = (x.Graph ?? y.Graph ?? DataflowNet.Graph.Default).name_scope(string.IsNullOrEmpty(name) ? type : name);
        var (a, b) = Operands(x, y);
        return Op(type, [a, b], name: scope.Name);
    }

    private static Tensor Unary(string type, TensorLike x, string? name) => Op(type, [x.ToTensor()], name: name);

    /// <summary>x + y; on strings, concatenation (TensorFlow 1's Add op, which AddV2 does not cover).</summary>
    public static Tensor add(TensorLike x, TensorLike y, string? name = null)
    {
        var (a, b) = Operands(x, y);
        return Op(a.dtype == DataType.String ? "Add" : "AddV2", [a, b], name: name);
    }
    public static Tensor subtract(TensorLike x, TensorLike y, string? name = null) => Binary("Sub", x, y, name);
    public static Tensor multiply(TensorLike x, TensorLike y, string? name = null) => Binary("Mul", x, y, name);
    public static Tensor maximum(TensorLike x, TensorLike y, string? name = null) => Binary("Maximum", x, y, name);
    public static Tensor minimum(TensorLike x, TensorLike y, string? name = null) => Binary("Minimum", x, y, name);
    public static Tensor floordiv(TensorLike x, TensorLike y, string? name = null) => Binary("FloorDiv", x, y, name);
    public static Tensor floormod(TensorLike x, TensorLike y, string? name = null) => Binary("FloorMod", x, y, name);
    public static Tensor mod(TensorLike x, TensorLike y, string? name = null) => floormod(x, y, name);
    public static Tensor squared_difference(TensorLike x, TensorLike y, string? name = null) => Binary("SquaredDifference", x, y, name);
    public static Tensor pow(TensorLike x, TensorLike y, string? name = null) => Binary("Pow", x, y, name);

    /// <summary>Python's x / y: floats divide; int32 and int64 are first cast to float64, uint8 to float32, as TensorFlow's truediv.</summary>
    public static Tensor divide(TensorLike x, TensorLike y, string? name = null) => truediv(x, y, name);

    public static Tensor truediv(TensorLike x, TensorLike y, string? name = null)
    {
        var (a, b) = Operands(x, y);
        if (a.dtype != b.dtype)
            throw new InvalidArgumentException($"x and y must have the same dtype, got {a.dtype.Name()} != {b.dtype.Name()} (x = {a.name}, y = {b.name}).");
        if (a.dtype.IsInteger())
        {
            var target = a.dtype == DataType.UInt8 ? DataType.Float32 : DataType.Float64;
            (a, b) = (cast(a, target), cast(b, target));
        }
        return Op("RealDiv", [a, b], name: name ?? "truediv");
    }

    public static Tensor negative(TensorLike x, string? name = null) => Unary("Neg", x, name);
    public static Tensor abs(TensorLike x, string? name = null) => Unary("Abs", x, name);
    public static Tensor sign(TensorLike x, string? name = null) => Unary("Sign", x, name);
    public static Tensor square(TensorLike x, string? name = null) => Unary("Square", x, name);
    public static Tensor sqrt(TensorLike x, string? name = null) => Unary("Sqrt", x, name);
    public static Tensor rsqrt(TensorLike x, string? name = null) => Unary("Rsqrt", x, name);
    public static Tensor reciprocal(TensorLike x, string? name = null) => Unary("Reciprocal", x, name);
    public static Tensor exp(TensorLike x, string? name = null) => Unary("Exp", x, name);
    public static Tensor log(TensorLike x, string? name = null) => Unary("Log", x, name);
    public static Tensor log1p(TensorLike x, string? name = null) => Unary("Log1p", x, name);
    public static Tensor sin(TensorLike x, string? name = null) => Unary("Sin", x, name);
    public static Tensor cos(TensorLike x, string? name = null) => Unary("Cos", x, name);
    public static Tensor tanh(TensorLike x, string? name = null) => Unary("Tanh", x, name);
    public static Tensor sigmoid(TensorLike x, string? name = null) => Unary("Sigmoid", x, name);

    public static Tensor add_n(IEnumerable<TensorLike> inputs, string? name = null)
    {
        var list = inputs.ToList();
        if (list.Count == 0) throw new InvalidArgumentException("add_n needs at least one input.");
        var first = list.FirstOrDefault(i => i.IsTensor).Tensor;
        var tensors = list.Select(i => i.ToTensor(first?.dtype)).ToArray();
        return tensors.Length == 1 ? tensors[0] : Op("AddN", tensors, new() { ["N"] = tensors.Length }, name);
    }

    public static Tensor cast(TensorLike x, DataType dtype, string? name = null)
    {
        var t = x.ToTensor();
        if (t.dtype == dtype) return t;
        return Op("Cast", [t], new() { ["SrcT"] = t.dtype, ["DstT"] = dtype }, name ?? "Cast");
    }

    // ---------- comparisons and logic ----------
    public static Tensor equal(TensorLike x, TensorLike y, string? name = null) => Binary("Equal", x, y, name);
    public static Tensor not_equal(TensorLike x, TensorLike y, string? name = null) => Binary("NotEqual", x, y, name);
    public static Tensor less(TensorLike x, TensorLike y, string? name = null) => Binary("Less", x, y, name);
    public static Tensor less_equal(TensorLike x, TensorLike y, string? name = null) => Binary("LessEqual", x, y, name);
    public static Tensor greater(TensorLike x, TensorLike y, string? name = null) => Binary("Greater", x, y, name);
    public static Tensor greater_equal(TensorLike x, TensorLike y, string? name = null) => Binary("GreaterEqual", x, y, name);
    public static Tensor logical_and(TensorLike x, TensorLike y, string? name = null) => Binary("LogicalAnd", x, y, name);
    public static Tensor logical_or(TensorLike x, TensorLike y, string? name = null) => Binary("LogicalOr", x, y, name);
    public static Tensor logical_not(TensorLike x, string? name = null) => Unary("LogicalNot", x, name);

    /// <summary>
    /// TensorFlow 1's tf.where: x where condition is true, else y. A vector condition with x and y of higher rank
    /// picks whole rows, as TensorFlow 1's Select op does (a broadcasting where would pick columns); otherwise the
    /// two agree wherever TensorFlow 1 accepts the shapes, and shapes that only broadcast to each other (an error in
    /// TensorFlow 1) broadcast as <see cref="where_v2"/>.
    /// </summary>
    public static Tensor where(TensorLike condition, TensorLike x, TensorLike y, string? name = null)
    {
        var (a, b) = Operands(x, y);
        var c = condition.ToTensor(DataType.Bool);
        bool rows = c.shape is { IsUnknownRank: false, Rank: 1 } && a.shape.MergeWith(b.shape) is { IsUnknownRank: false, Rank: > 1 };
        return Op(rows ? "Select" : "SelectV2", [c, a, b], name: name);
    }

    /// <summary>Elementwise choice with the condition, x and y broadcast together (TensorFlow 2's tf.where, tf.compat.v1.where_v2).</summary>
    public static Tensor where_v2(TensorLike condition, TensorLike x, TensorLike y, string? name = null)
    {
        var (a, b) = Operands(x, y);
        return Op("SelectV2", [condition.ToTensor(DataType.Bool), a, b], name: name);
    }

    // ---------- matmul ----------
    /// <summary>Matrix product; inputs of rank &gt; 2 multiply batch by batch (broadcasting batch dimensions).</summary>
    public static Tensor matmul(TensorLike a, TensorLike b, bool transpose_a = false, bool transpose_b = false, string? name = null)
    {
        var (x, y) = Operands(a, b);
        if (x.shape.Rank == 2 && y.shape.Rank == 2)
            return Op("MatMul", [x, y], new() { ["transpose_a"] = transpose_a, ["transpose_b"] = transpose_b }, name);
        return Op("BatchMatMulV2", [x, y], new() { ["adj_x"] = transpose_a, ["adj_y"] = transpose_b }, name ?? "MatMul");
    }

    // ---------- reductions ----------
    public static Tensor reduce_sum(TensorLike input, int[]? axis = null, bool keepdims = false, string? name = null) => Reduce("Sum", input, axis, keepdims, name);
    public static Tensor reduce_sum(TensorLike input, int axis, bool keepdims = false, string? name = null) => Reduce("Sum", input, [axis], keepdims, name);
    public static Tensor reduce_mean(TensorLike input, int[]? axis = null, bool keepdims = false, string? name = null) => Reduce("Mean", input, axis, keepdims, name);
    public static Tensor reduce_mean(TensorLike input, int axis, bool keepdims = false, string? name = null) => Reduce("Mean", input, [axis], keepdims, name);
    public static Tensor reduce_max(TensorLike input, int[]? axis = null, bool keepdims = false, string? name = null) => Reduce("Max", input, axis, keepdims, name);

    /// <summary>
    /// A vector norm, as TensorFlow's tf.norm: <paramref name="ord"/> "euclidean" (or "fro", or 2) is √Σx², 1 is Σ|x|,
    /// and ∞ (double.PositiveInfinity) is max |x|, over all elements (axis null), one axis, or, for "euclidean" and
    /// "fro" only, two axes (the Frobenius norm of matrices). Matrix norms of order 1, 2 and ∞ are refused. No int
    /// overload for the axis: <c>tf.norm(x, 1)</c> would read as an axis where TensorFlow reads an ord.
    /// </summary>
    public static Tensor norm(TensorLike tensor, object? ord = null, int[]? axis = null, bool keepdims = false, string? name = null)
    {
        var x = tensor.ToTensor();
        string kind = ord switch
        {
            null or "euclidean" or "fro" => "euclidean",
            2 or 2.0 => "euclidean",
            1 or 1.0 => "1",
            double d when double.IsPositiveInfinity(d) => "inf",
            _ => throw new InvalidArgumentException($"tf.norm: ord must be 'euclidean', 'fro', 1, 2 or infinity, got {ord}."),
        };
        if (axis is { Length: > 2 } || axis is { Length: 2 } && (kind != "euclidean" || ord is 2 or 2.0))
            throw new InvalidArgumentException($"tf.norm: over axes [{string.Join(", ", axis)}] only ord 'euclidean' or 'fro' is supported (matrix norms of order 1, 2 and infinity are not).");
        using var scope = x.graph.name_scope(name ?? "norm");
        return kind switch
        {
            "1" => reduce_sum(abs(x), axis, keepdims),
            "inf" => reduce_max(abs(x), axis, keepdims),
            _ => sqrt(reduce_sum(square(x), axis, keepdims)),
        };
    }
    public static Tensor reduce_max(TensorLike input, int axis, bool keepdims = false, string? name = null) => Reduce("Max", input, [axis], keepdims, name);
    public static Tensor reduce_min(TensorLike input, int[]? axis = null, bool keepdims = false, string? name = null) => Reduce("Min", input, axis, keepdims, name);
    public static Tensor reduce_min(TensorLike input, int axis, bool keepdims = false, string? name = null) => Reduce("Min", input, [axis], keepdims, name);
    public static Tensor reduce_prod(TensorLike input, int[]? axis = null, bool keepdims = false, string? name = null) => Reduce("Prod", input, axis, keepdims, name);
    public static Tensor reduce_prod(TensorLike input, int axis, bool keepdims = false, string? name = null) => Reduce("Prod", input, [axis], keepdims, name);
    public static Tensor reduce_all(TensorLike input, int[]? axis = null, bool keepdims = false, string? name = null) => Reduce("All", input, axis, keepdims, name);
    public static Tensor reduce_any(TensorLike input, int[]? axis = null, bool keepdims = false, string? name = null) => Reduce("Any", input, axis, keepdims, name);

    private static Tensor Reduce(string type, TensorLike input, int[]? axis, bool keepdims, string? name)
    {
        var x = input.ToTensor();
        Tensor axes;
        if (axis is not null) axes = IntVector(axis, "reduction_indices");
        else if (!x.shape.IsUnknownRank) axes = IntVector(Enumerable.Range(0, x.shape.Rank).ToArray(), "Const");
        else axes = range(0, rank(x), 1);
        var result = Op(type, [x, axes], new() { ["keep_dims"] = keepdims }, name);
        // Reducing every axis of a value of unknown rank still gives a scalar (TensorFlow's _may_reduce_to_scalar).
        if (axis is null && !keepdims) result.set_shape(TensorShape.Scalar);
        return result;
    }

    /// <summary>Index of the largest value along <paramref name="axis"/> (int64 by default, as TensorFlow).</summary>
    public static Tensor argmax(TensorLike input, int axis = 0, DataType output_type = DataType.Int64, string? name = null) =>
        Op("ArgMax", [input.ToTensor(), IntScalar(axis, "dimension")], new() { ["output_type"] = output_type }, name);

    public static Tensor argmin(TensorLike input, int axis = 0, DataType output_type = DataType.Int64, string? name = null) =>
        Op("ArgMin", [input.ToTensor(), IntScalar(axis, "dimension")], new() { ["output_type"] = output_type }, name);
}

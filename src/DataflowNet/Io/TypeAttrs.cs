using DataflowNet.Io.Proto;

namespace DataflowNet.Io;

/// <summary>
/// The attributes TensorFlow's op registrations (tensorflow/core/ops/*.cc, <c>REGISTER_OP(...).Attr("T: type")</c>)
/// require on a NodeDef but DataflowNet does not keep, because they follow from the op's inputs: type attributes
/// (<c>T</c>, <c>Tidx</c>, <c>Tshape</c>, <c>SrcT</c>…) and list lengths (<c>N</c>). One entry per op type; an op
/// type missing here gets no extra attributes. Written on export, so TensorFlow can load what DataflowNet writes.
/// On import TensorFlow's values are kept as ordinary attributes (no kernel reads them) and written back unchanged.
/// </summary>
/// <remarks>
/// A spec is space-separated <c>attr=source</c>: <c>iK</c> the dtype of input K (<c>i-1</c> the last input),
/// <c>oK</c> the dtype of output K, <c>n</c> the number of inputs, <c>n-1</c> one fewer (a list before a last
/// scalar input). Attributes TensorFlow gives a default (Conv2D's <c>use_cudnn_on_gpu</c>, Equal's
/// <c>incompatible_shape_error</c>…) are left out: TensorFlow adds them when it loads a graph, and an attribute
/// an older TensorFlow does not know would make it refuse the node.
/// </remarks>
internal static class TypeAttrs
{
    private static readonly (string Spec, string[] Ops)[] Table =
    [
        ("T=i0", ["Identity", "StopGradient", "ZerosLike", "OnesLike", "Shape", "Size", "Rank", "Squeeze", "Unpack",
                  "Neg", "Abs", "Sign", "Square", "Sqrt", "Rsqrt", "Exp", "Log", "Log1p", "Sin", "Cos", "Tanh", "Sigmoid",
                  "Reciprocal", "Floor", "AddV2", "Add", "Sub", "Mul", "Maximum", "Minimum", "FloorDiv", "FloorMod",
                  "SquaredDifference", "RealDiv", "Pow", "Less", "LessEqual", "Greater", "GreaterEqual", "Equal", "NotEqual",
                  "MatMul", "BatchMatMulV2", "Assign", "AssignAdd", "AssignSub",
                  "Relu", "Relu6", "LeakyRelu", "Elu", "Softplus", "Softmax", "LogSoftmax", "BiasAdd", "BiasAddGrad",
                  "Conv2D", "Conv2DBackpropFilter", "MaxPool", "AvgPool", "MaxPoolGrad", "MaxPoolGradGrad", "SoftmaxCrossEntropyWithLogits",
                  "L2Loss", "CheckNumerics", "SigmoidGrad", "TanhGrad", "SqrtGrad", "RsqrtGrad", "ReciprocalGrad", "ReluGrad",
                  "Relu6Grad", "EluGrad", "SoftplusGrad", "LeakyReluGrad", "BroadcastGradientArgs", "InvertPermutation",
                  "RandomShuffle", "RandomStandardNormal", "TruncatedNormal", "RandomUniform", // T: the shape's type (dtype is kept)
                  "ApplyGradientDescent", "ApplyMomentum", "ApplyAdam", "ApplyAdagrad", "ApplyRMSProp",
                  // control flow (TensorFlow 1's while loops and conds)
                  "Switch", "Enter", "Exit", "NextIteration", "RefSwitch", "RefEnter", "RefExit"]),
        ("T=i1", ["Select", "SelectV2", "Split", "AvgPoolGrad", "InTopKV2", "Conv2DBackpropInput", "ScalarSummary", "HistogramSummary"]),
        ("SrcT=i0 DstT=o0", ["Cast"]),
        ("N=n T=i0", ["AddN", "Pack", "Merge", "RefMerge"]),
        ("N=n-1 T=i0 Tidx=i-1", ["ConcatV2"]),
        ("N=n-1", ["ConcatOffset"]),
        ("N=n", ["MergeSummary"]),
        ("T=i0 Tidx=i1", ["Sum", "Mean", "Max", "Min", "Prod", "ArgMax", "ArgMin", "BroadcastTo"]),
        ("Tidx=i1", ["All", "Any"]),
        ("Tidx=i0", ["Range"]),
        ("T=i0 Tidx=i2", ["LinSpace"]),
        ("T=i1 index_type=i0", ["Fill"]),
        ("T=i0 Tshape=i1", ["Reshape"]),
        ("T=i0 Tperm=i1", ["Transpose"]),
        ("T=i0 Tdim=i1", ["ExpandDims"]),
        ("T=i0 Tlen=i1", ["SplitV"]),
        ("T=i0 Index=i1", ["Slice", "StridedSlice"]),
        ("T=i4 Index=i0", ["StridedSliceGrad"]),
        ("Tparams=i0 Tindices=i1 Taxis=i2", ["GatherV2"]),
        ("T=i0 Tmultiples=i1", ["Tile"]),
        ("T=i0 Tpaddings=i1", ["Pad", "PadV2"]),
        ("T=i2 TI=i0", ["OneHot"]),
        ("T=i0 Tlabels=i1", ["SparseSoftmaxCrossEntropyWithLogits"]),
        ("T=i0 Tindices=i1 Tnumsegments=i2", ["UnsortedSegmentSum"]),
    ];

    private static readonly Dictionary<string, string[]> ByOp = Build();

    private static Dictionary<string, string[]> Build()
    {
        var byOp = new Dictionary<string, string[]>();
        foreach (var (spec, ops) in Table)
            foreach (var op in ops)
                if (!byOp.TryAdd(op, spec.Split(' ')))
                    throw new InvalidOperationException($"TypeAttrs lists op type '{op}' twice.");
        return byOp;
    }

    /// <summary>Whether TensorFlow's attributes for this op type are known here.</summary>
    public static bool Knows(string opType) => ByOp.ContainsKey(opType);

    /// <summary>Adds the op's inferred TensorFlow attributes to its NodeDef (those it already has are left alone).</summary>
    public static void AddTo(NodeDef node, Operation op)
    {
        if (!ByOp.TryGetValue(op.type, out var parts)) return;
        foreach (var part in parts)
        {
            var eq = part.IndexOf('=');
            var name = part[..eq];
            if (node.Attr.ContainsKey(name)) continue;
            var value = Resolve(op, part[(eq + 1)..]);
            if (value is not null) node.Attr[name] = value;
        }
    }

    private static AttrValue? Resolve(Operation op, string source)
    {
        switch (source)
        {
            case "n": return new AttrValue { I = op.inputs.Length };
            case "n-1": return new AttrValue { I = op.inputs.Length - 1 };
        }
        var index = int.Parse(source.AsSpan(1), System.Globalization.CultureInfo.InvariantCulture);
        var tensors = source[0] == 'i' ? op.inputs : op.outputs;
        if (index < 0) index += tensors.Length;
        return index >= 0 && index < tensors.Length ? new AttrValue { Type = TensorProtos.ToProto(tensors[index].dtype) } : null;
    }
}

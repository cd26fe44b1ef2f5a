namespace DataflowNet;

/// <summary>
/// 2-D convolution and pooling, with TensorFlow's op names and attributes: Conv2D and its two backprops, MaxPool,
/// AvgPool and their gradients. Each shape function checks the attributes and the 4-D shapes through
/// <see cref="Window2D"/>, the same geometry the kernels use, so build time and run time agree on every size.
/// </summary>
internal static class ConvOps
{
    private static readonly DataType[] Float = DataTypeExtensions.Floating;
    private static readonly DataType[] Sizes = [DataType.Int32];

    public static void Register()
    {
        // strides and padding have no default in TensorFlow either: the facade always passes them.
        Dictionary<string, object> ConvDefaults() => new() { ["data_format"] = "NHWC", ["dilations"] = new[] { 1, 1, 1, 1 } };
        OpRegistry.Register(new OpDef("Conv2D", "input", "filter")
        {
            Attrs = ConvDefaults(),
            Gradient = ConvGrad.Conv2D,
            Shape = c =>
            {
                var t = c.RequireType(0, Float);
                c.SameType(0, 1);
                var g = Conv(c, input: 0, filter: 1, Dims(c, 0), Dims(c, 1));
                return c.One(t, new TensorShape(g.OutputDims()));
            },
        });
        OpRegistry.Register(new OpDef("Conv2DBackpropInput", "input_sizes", "filter", "out_backprop")
        {
            Attrs = ConvDefaults(),
            Gradient = ConvGrad.Conv2DBackpropInput,
            Shape = c =>
            {
                c.RequireType(0, Sizes);
                var t = c.RequireType(1, Float);
                c.SameType(1, 2);
                var input = SizesInput(c, 0);
                var g = Conv(c, input: 0, filter: 1, Dims(input), Dims(c, 1));
                CheckBackprop(c, 2, g);
                return c.One(t, input);
            },
        });
        OpRegistry.Register(new OpDef("Conv2DBackpropFilter", "input", "filter_sizes", "out_backprop")
        {
            Attrs = ConvDefaults(),
            Gradient = ConvGrad.Conv2DBackpropFilter,
            Shape = c =>
            {
                var t = c.RequireType(0, Float);
                c.RequireType(1, Sizes);
                c.SameType(0, 2);
                var filter = SizesInput(c, 1);
                var g = Conv(c, input: 0, filter: 1, Dims(c, 0), Dims(filter));
                CheckBackprop(c, 2, g);
                return c.One(t, filter);
            },
        });

        Dictionary<string, object> PoolDefaults() => new() { ["data_format"] = "NHWC" };
        foreach (var type in new[] { "MaxPool", "AvgPool" })
            OpRegistry.Register(new OpDef(type, type == "MaxPool" ? "input" : "value")
            {
                Attrs = PoolDefaults(),
                Gradient = type == "MaxPool" ? ConvGrad.MaxPool : ConvGrad.AvgPool,
                Shape = c =>
                {
                    var t = c.RequireType(0, Float);
                    return c.One(t, new TensorShape(Pool(c, 0, Dims(c, 0)).OutputDims()));
                },
            });
        // MaxPoolGrad routes grad (shaped as orig_output) to each window's first maximum, giving orig_input's shape;
        // MaxPoolGradGrad, its gradient, reads grad (shaped as orig_input) at those maxima, giving orig_output's shape.
        foreach (var (type, gradient, gradOfOutputShape) in new[] { ("MaxPoolGrad", (GradientFunction)ConvGrad.MaxPoolGrad, true), ("MaxPoolGradGrad", ConvGrad.MaxPoolGradGrad, false) })
            OpRegistry.Register(new OpDef(type, "orig_input", "orig_output", "grad")
            {
                Attrs = PoolDefaults(),
                Gradient = gradient,
                Shape = c =>
                {
                    var t = c.RequireType(0, Float);
                    c.SameType(0, 1, 2);
                    var g = Pool(c, 0, Dims(c, 0));
                    CheckBackprop(c, 1, g);
                    if (gradOfOutputShape)
                    {
                        CheckBackprop(c, 2, g);
                        return c.One(t, c.InputShape(0));
                    }
                    c.RequireRank(2, 4);
                    if (!c.InputShape(2).IsCompatibleWith(c.InputShape(0)))
                        throw c.Error($"Input 'grad' ({c.Input(2).name}) has shape {c.InputShape(2)}, but orig_input has shape {c.InputShape(0)}.");
                    return c.One(t, new TensorShape(g.OutputDims()));
                },
            });
        OpRegistry.Register(new OpDef("AvgPoolGrad", "orig_input_shape", "grad")
        {
            Attrs = PoolDefaults(),
            Gradient = ConvGrad.AvgPoolGrad,
            Shape = c =>
            {
                c.RequireType(0, Sizes);
                var t = c.RequireType(1, Float);
                var input = SizesInput(c, 0);
                var g = Pool(c, 0, Dims(input));
                CheckBackprop(c, 1, g);
                return c.One(t, input);
            },
        });
    }

    /// <summary>An input's dims, -1 where unknown (all four when the rank is unknown); rank 4 is required.</summary>
    private static int[] Dims(InferenceContext c, int i)
    {
        c.RequireRank(i, 4);
        return Dims(c.InputShape(i));
    }

    private static int[] Dims(TensorShape s) => s.IsUnknownRank ? [-1, -1, -1, -1] : s.Dims;

    /// <summary>A shape given as an int32 vector input (input_sizes, filter_sizes, orig_input_shape): 4 dims.</summary>
    private static TensorShape SizesInput(InferenceContext c, int i)
    {
        var s = c.ShapeFromInput(i);
        if (!s.IsUnknownRank && s.Rank != 4)
            throw c.Error($"Input '{c.Op.Def.InputName(i)}' ({c.Input(i).name}) must describe a 4-D shape, got {s.Rank} values {s}.");
        return s.IsUnknownRank ? TensorShape.UnknownOfRank(4) : s;
    }

    /// <summary>padding and data_format, each checked; the 4-entry lists are checked by <see cref="Window2D"/>.</summary>
    private static (bool Nchw, bool Same) Format(InferenceContext c)
    {
        var padding = c.Attr<string>("padding");
        if (padding is not ("SAME" or "VALID")) throw c.Error($"padding must be \"SAME\" or \"VALID\", got \"{padding}\".");
        var format = c.Attr<string>("data_format");
        if (format is not ("NHWC" or "NCHW")) throw c.Error($"data_format must be \"NHWC\" or \"NCHW\", got \"{format}\".");
        return (format == "NCHW", padding == "SAME");
    }

    /// <summary>The convolution's geometry; rejects an input whose channels differ from the filter's in_channels, naming both tensors.</summary>
    private static Window2D Conv(InferenceContext c, int input, int filter, int[] x, int[] f)
    {
        var (nchw, same) = Format(c);
        var g = Window2D.Conv(x, f, c.Attr<int[]>("strides"), c.Attr<int[]>("dilations"), nchw, same, c.Error);
        if (g.C >= 0 && f[2] >= 0 && g.C != f[2])
            throw c.Error($"input and filter must have the same depth: {g.C} vs {f[2]}. Input '{c.Op.Def.InputName(input)}' ({c.Input(input).name}) " +
                          $"has shape {new TensorShape(x)} ({c.Attr<string>("data_format")}), filter '{c.Op.Def.InputName(filter)}' ({c.Input(filter).name}) " +
                          $"has shape {new TensorShape(f)} [height, width, in_channels, out_channels].");
        return g;
    }

    private static Window2D Pool(InferenceContext c, int input, int[] x)
    {
        var (nchw, same) = Format(c);
        return Window2D.Pool(x, c.Attr<int[]>("ksize"), c.Attr<int[]>("strides"), nchw, same, c.Error);
    }

    /// <summary>A gradient input (out_backprop, grad, orig_output) must have the forward op's output shape.</summary>
    private static void CheckBackprop(InferenceContext c, int i, in Window2D g)
    {
        var expected = new TensorShape(g.OutputDims());
        c.RequireRank(i, 4);
        if (!c.InputShape(i).IsCompatibleWith(expected))
            throw c.Error($"Input '{c.Op.Def.InputName(i)}' ({c.Input(i).name}) has shape {c.InputShape(i)}, but the forward op's output has shape {expected}.");
    }
}

/// <summary>
/// Where a 2-D window (a convolution filter or a pooling window) goes over an image, as TensorFlow computes it
/// (GetWindowedOutputSize): VALID keeps only whole windows, out = (in - k_eff + stride) / stride; SAME gives
/// out = ceil(in / stride) and pads pad_total = max((out - 1)·stride + k_eff - in, 0), pad_total / 2 before and the
/// extra row or column after (bottom, right); k_eff = (k - 1)·dilation + 1. Dims are held in NHWC order whatever
/// the data format, with the strides of the input and output buffers for that format. A dim unknown at build time
/// is -1, and so is every size that depends on it.
/// </summary>
internal readonly struct Window2D
{
    public readonly int N, H, W, C;     // input
    public readonly int KH, KW, O;      // window; O: output channels (the filter's out_channels, or C for pooling)
    public readonly int SH, SW, DH, DW; // strides and dilations
    public readonly int OH, OW, PadTop, PadLeft;
    public readonly bool Nchw;

    private Window2D(ReadOnlySpan<int> x, int kh, int kw, int o, int[] strides, int[] dilations, bool nchw, bool same, Func<string, Exception> error)
    {
        Nchw = nchw;
        (N, H, W, C) = nchw ? (x[0], x[2], x[3], x[1]) : (x[0], x[1], x[2], x[3]);
        (KH, KW, O) = (kh, kw, o);
        (SH, SW) = Spatial(strides, "strides", nchw, error);
        (DH, DW) = Spatial(dilations, "dilations", nchw, error);
        (OH, PadTop) = OutputSize(H, KH, SH, DH, same, "height", error);
        (OW, PadLeft) = OutputSize(W, KW, SW, DW, same, "width", error);
    }

    /// <summary>Conv2D: input [N, H, W, C] (or NCHW), filter [KH, KW, C, O].</summary>
    public static Window2D Conv(ReadOnlySpan<int> input, ReadOnlySpan<int> filter, int[] strides, int[] dilations, bool nchw, bool same, Func<string, Exception> error) =>
        new(input, filter[0], filter[1], filter[3], strides, dilations, nchw, same, error);

    /// <summary>MaxPool and AvgPool: the window is ksize's spatial entries; channels pass through.</summary>
    public static Window2D Pool(ReadOnlySpan<int> input, int[] ksize, int[] strides, bool nchw, bool same, Func<string, Exception> error)
    {
        var (kh, kw) = Spatial(ksize, "ksize", nchw, error);
        return new(input, kh, kw, input[nchw ? 1 : 3], strides, OnesForPooling, nchw, same, error);
    }

    private static readonly int[] OnesForPooling = [1, 1, 1, 1];

    /// <summary>The height and width entries of a 4-entry attribute; TensorFlow leaves batch and channels alone.</summary>
    private static (int, int) Spatial(int[] v, string name, bool nchw, Func<string, Exception> error)
    {
        if (v.Length != 4 || v[0] != 1 || v[nchw ? 1 : 3] != 1 || v[nchw ? 2 : 1] < 1 || v[nchw ? 3 : 2] < 1)
            throw error($"{name} must have 4 entries in {(nchw ? "NCHW" : "NHWC")} order, 1 for the batch and channel dimensions and at least 1 " +
                        $"for height and width, got [{string.Join(", ", v)}].");
        return nchw ? (v[2], v[3]) : (v[1], v[2]);
    }

    private static (int Out, int PadBefore) OutputSize(int input, int k, int stride, int dilation, bool same, string axis, Func<string, Exception> error)
    {
        if (input < 0 || k < 0) return (-1, -1);
        int effective = (k - 1) * dilation + 1;
        int output = same ? (input + stride - 1) / stride : (input - effective + stride) / stride;
        if (output < 0)
            throw error($"Computed output size would be negative: {output} along the {axis} [input_size: {input}, effective_filter_size: {effective}, stride: {stride}].");
        int padTotal = same ? Math.Max((output - 1) * stride + effective - input, 0) : 0;
        return (output, padTotal / 2);
    }

    /// <summary>The output's dims in the data format.</summary>
    public void OutputDims(Span<int> d)
    {
        if (Nchw) { d[0] = N; d[1] = O; d[2] = OH; d[3] = OW; }
        else { d[0] = N; d[1] = OH; d[2] = OW; d[3] = O; }
    }

    public int[] OutputDims()
    {
        var d = new int[4];
        OutputDims(d);
        return d;
    }

    /// <summary>Output positions per image.</summary>
    public int P => OH * OW;
    /// <summary>Taps per output position: one im2col row, in the filter's (kh, kw, c) order.</summary>
    public int K => KH * KW * C;

    // Element strides of the input (C channels) and output (O channels) buffers in the data format.
    public int InImage => H * W * C;
    public int InRow => Nchw ? W : W * C;
    public int InCol => Nchw ? 1 : C;
    public int InChannel => Nchw ? H * W : 1;
    public int OutImage => P * O;
    public int OutChannel => Nchw ? P : 1;
    /// <summary>Offset of output position p (oh·OW + ow) within an image.</summary>
    public int OutPosition(int p) => Nchw ? p : p * O;
}

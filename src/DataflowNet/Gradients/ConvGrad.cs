namespace DataflowNet;

/// <summary>
/// Gradients of convolution and pooling, as TensorFlow's nn_grad.py builds them: Conv2D's input and filter
/// gradients are Conv2DBackpropInput and Conv2DBackpropFilter, MaxPool's is MaxPoolGrad, AvgPool's AvgPoolGrad. The
/// backprops are linear in each input, so their own gradients are convolutions again (second derivatives).
/// </summary>
internal static class ConvGrad
{
    private static readonly string[] ConvAttrNames = ["strides", "padding", "data_format", "dilations"];
    private static readonly string[] PoolAttrNames = ["ksize", "strides", "padding", "data_format"];

    /// <summary>A fresh copy of the forward op's attributes for each gradient op (an op keeps the dictionary it is given).</summary>
    private static Dictionary<string, object> Attrs(Operation op, string[] names) => names.ToDictionary(n => n, op.get_attr);

    /// <summary>The shape as an int32 vector: a constant when known at build time, else tf.shape at run time.</summary>
    private static Tensor ShapeOf(Tensor t) => t.shape.IsFullyDefined ? tf.IntVector(t.shape.Dims, "Shape") : tf.shape(t);

    private static Tensor BackpropInput(Tensor inputSizes, Tensor filter, Tensor dy, Operation op) =>
        tf.Op("Conv2DBackpropInput", [inputSizes, filter, dy], Attrs(op, ConvAttrNames));

    private static Tensor BackpropFilter(Tensor input, Tensor filterSizes, Tensor dy, Operation op) =>
        tf.Op("Conv2DBackpropFilter", [input, filterSizes, dy], Attrs(op, ConvAttrNames));

    private static Tensor Conv(Tensor input, Tensor filter, Operation op) => tf.Op("Conv2D", [input, filter], Attrs(op, ConvAttrNames));

    public static Tensor?[] Conv2D(Operation op, Tensor[] g) =>
    [
        BackpropInput(ShapeOf(op.inputs[0]), op.inputs[1], g[0], op),
        BackpropFilter(op.inputs[0], ShapeOf(op.inputs[1]), g[0], op),
    ];

    /// <summary>dx = backprop_input(filter, dy): linear in filter and in dy.</summary>
    public static Tensor?[] Conv2DBackpropInput(Operation op, Tensor[] g) =>
    [
        null,
        BackpropFilter(g[0], ShapeOf(op.inputs[1]), op.inputs[2], op),
        Conv(g[0], op.inputs[1], op),
    ];

    /// <summary>dfilter = backprop_filter(input, dy): linear in input and in dy.</summary>
    public static Tensor?[] Conv2DBackpropFilter(Operation op, Tensor[] g) =>
    [
        BackpropInput(ShapeOf(op.inputs[0]), g[0], op.inputs[2], op),
        null,
        Conv(op.inputs[0], g[0], op),
    ];

    public static Tensor?[] MaxPool(Operation op, Tensor[] g) =>
        [tf.Op("MaxPoolGrad", [op.inputs[0], op.outputs[0], g[0]], Attrs(op, PoolAttrNames))];

    /// <summary>
    /// MaxPoolGrad routes each window's gradient to its first maximum: linear in grad, and piecewise constant in the
    /// image (the maxima move only at ties), so the image and the pooled output get zeros (as TensorFlow gives them,
    /// so a second derivative with respect to the image is zeros, not None), and grad gets MaxPoolGradGrad, which
    /// reads it back at the maxima.
    /// </summary>
    public static Tensor?[] MaxPoolGrad(Operation op, Tensor[] g) =>
        [tf.zeros_like(op.inputs[0]), tf.zeros_like(op.inputs[1]), tf.Op("MaxPoolGradGrad", [op.inputs[0], op.inputs[1], g[0]], Attrs(op, PoolAttrNames))];

    /// <summary>MaxPoolGradGrad reads grad at the maxima: its transpose, MaxPoolGrad, routes back to them.</summary>
    public static Tensor?[] MaxPoolGradGrad(Operation op, Tensor[] g) =>
        [tf.zeros_like(op.inputs[0]), tf.zeros_like(op.inputs[1]), tf.Op("MaxPoolGrad", [op.inputs[0], op.inputs[1], g[0]], Attrs(op, PoolAttrNames))];

    public static Tensor?[] AvgPool(Operation op, Tensor[] g) =>
        [tf.Op("AvgPoolGrad", [ShapeOf(op.inputs[0]), g[0]], Attrs(op, PoolAttrNames))];

    /// <summary>AvgPoolGrad spreads each gradient evenly over its window: its own gradient averages again.</summary>
    public static Tensor?[] AvgPoolGrad(Operation op, Tensor[] g) =>
        [null, tf.Op("AvgPool", [g[0]], Attrs(op, PoolAttrNames))];
}

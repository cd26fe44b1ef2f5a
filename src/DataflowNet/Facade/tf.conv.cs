namespace DataflowNet;

public static partial class tf
{
    public static partial class nn
    {
        /// <summary>
        /// 2-D convolution (cross-correlation, as TensorFlow) of input [batch, height, width, channels] (NHWC, or NCHW)
        /// with filter [height, width, in_channels, out_channels]. strides and dilations have 4 entries in the data
        /// format's order (batch and channel entries 1), or 1 or 2 entries for height and width as TensorFlow 2 allows.
        /// padding "SAME" or "VALID".
        /// </summary>
        public static Tensor conv2d(TensorLike input, TensorLike filter, int[] strides, string padding, string data_format = "NHWC",
                                    int[]? dilations = null, string? name = null)
        {
            var (x, f) = Operands(input, filter);
            return Op("Conv2D", [x, f], ConvAttrs(strides, padding, data_format, dilations), name);
        }

        /// <summary>The gradient of conv2d with respect to its input, whose shape input_sizes gives.</summary>
        public static Tensor conv2d_backprop_input(int[] input_sizes, TensorLike filter, TensorLike out_backprop, int[] strides, string padding,
                                                   string data_format = "NHWC", int[]? dilations = null, string? name = null)
        {
            var (f, dy) = Operands(filter, out_backprop);
            return Op("Conv2DBackpropInput", [IntVector(input_sizes, "input_sizes"), f, dy], ConvAttrs(strides, padding, data_format, dilations), name);
        }

        /// <summary>The gradient of conv2d with respect to its filter, whose shape filter_sizes gives.</summary>
        public static Tensor conv2d_backprop_filter(TensorLike input, int[] filter_sizes, TensorLike out_backprop, int[] strides, string padding,
                                                    string data_format = "NHWC", int[]? dilations = null, string? name = null)
        {
            var (x, dy) = Operands(input, out_backprop);
            return Op("Conv2DBackpropFilter", [x, IntVector(filter_sizes, "filter_sizes"), dy], ConvAttrs(strides, padding, data_format, dilations), name);
        }

        /// <summary>The maximum over each ksize window (4 entries, or 1 or 2 for height and width), moved by strides.</summary>
        public static Tensor max_pool(TensorLike value, int[] ksize, int[] strides, string padding, string data_format = "NHWC", string? name = null) =>
            Op("MaxPool", [value.ToTensor()], PoolAttrs(ksize, strides, padding, data_format), name);

        /// <summary>The mean over each window; with SAME padding a border window averages only the elements inside the image.</summary>
        public static Tensor avg_pool(TensorLike value, int[] ksize, int[] strides, string padding, string data_format = "NHWC", string? name = null) =>
            Op("AvgPool", [value.ToTensor()], PoolAttrs(ksize, strides, padding, data_format), name);

        /// <summary>
        /// Mean and variance of x over <paramref name="axes"/>, as TensorFlow composes them: the variance is the mean
        /// squared difference from the mean (the mean held constant for the gradient, which is exact at that point).
        /// </summary>
        public static (Tensor mean, Tensor variance) moments(TensorLike x, int[] axes, bool keep_dims = false, string? name = null)
        {
            var t = x.ToTensor();
            using var scope = t.graph.name_scope(name ?? "moments");
            var mean = reduce_mean(t, axes, keepdims: true, name: "mean");
            var variance = reduce_mean(squared_difference(t, stop_gradient(mean)), axes, keepdims: true, name: "variance");
            if (keep_dims) return (mean, variance);
            return (squeeze(mean, axes), squeeze(variance, axes));
        }

        /// <summary>
        /// (x - mean) / sqrt(variance + variance_epsilon) · scale + offset, as TensorFlow composes it:
        /// inv = rsqrt(variance + epsilon) · scale, then x · inv + (offset - mean · inv). offset and scale are optional.
        /// </summary>
        public static Tensor batch_normalization(TensorLike x, TensorLike mean, TensorLike variance, TensorLike? offset, TensorLike? scale,
                                                 double variance_epsilon, string? name = null)
        {
            var t = x.ToTensor();
            using var scope = t.graph.name_scope(name ?? "batchnorm");
            var m = mean.ToTensor(t.dtype, "mean");
            var inv = rsqrt(variance.ToTensor(t.dtype, "variance") + constant(variance_epsilon, t.dtype, name: "variance_epsilon"));
            if (scale is not null) inv = inv * scale.Value.ToTensor(t.dtype, "scale");
            var shift = offset is not null ? offset.Value.ToTensor(t.dtype, "offset") - m * inv : negative(m * inv);
            return add(t * inv, shift, name: scope.Name);
        }

        private static Dictionary<string, object> ConvAttrs(int[] strides, string padding, string data_format, int[]? dilations) => new()
        {
            ["strides"] = Expand(strides, data_format),
            ["padding"] = padding,
            ["data_format"] = data_format,
            ["dilations"] = Expand(dilations ?? [1], data_format),
        };

        private static Dictionary<string, object> PoolAttrs(int[] ksize, int[] strides, string padding, string data_format) => new()
        {
            ["ksize"] = Expand(ksize, data_format),
            ["strides"] = Expand(strides, data_format),
            ["padding"] = padding,
            ["data_format"] = data_format,
        };

        /// <summary>
        /// TensorFlow 2's reading of a window list: one value for both spatial dims, two for (height, width), four as
        /// given. Any other length is passed on for the op to reject.
        /// </summary>
        private static int[] Expand(int[] v, string data_format)
        {
            if (v.Length is not (1 or 2)) return (int[])v.Clone();
            int h = v[0], w = v[^1];
            return data_format == "NCHW" ? [1, 1, h, w] : [1, h, w, 1];
        }
    }
}

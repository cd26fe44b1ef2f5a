namespace DataflowNet.Kernels;

/// <summary>
/// The run-time shape checks of the softmax, bias and loss kernels, in TensorFlow's words. One place, so the CPU and
/// GPU kernels reject the same bad input with the same message. They matter where the static shape left the rank
/// open (a placeholder of unknown shape); the shape functions catch the rest when the graph is built.
/// </summary>
internal static class NnChecks
{
    /// <summary>Softmax and LogSoftmax work along the last axis, so there must be one.</summary>
    public static void SoftmaxInput(KernelContext ctx, TensorValue logits)
    {
        if (logits.ndim < 1) throw ctx.Error($"logits must have >= 1 dimension, got {TensorShape.Format(logits.Dims)}");
    }

    /// <summary>BiasAdd: a value of rank 2 or more and one bias per channel; returns the channel axis.</summary>
    public static int BiasAddChannel(KernelContext ctx, TensorValue value, TensorValue bias)
    {
        if (value.ndim < 2) throw ctx.Error($"Input tensor must be at least 2D: {TensorShape.Format(value.Dims)}");
        int channel = ctx.Attr<string>("data_format") == "NCHW" ? 1 : value.ndim - 1;
        if (bias.ndim != 1 || bias.Dims[0] != value.Dims[channel])
            throw ctx.Error($"Must provide as many biases as the channel dimension: bias shape {TensorShape.Format(bias.Dims)}, value shape {TensorShape.Format(value.Dims)}.");
        return channel;
    }

    /// <summary>The fused cross-entropy ops: logits a matrix; dense labels of its shape, sparse labels one per row.</summary>
    public static void CrossEntropyInputs(KernelContext ctx, TensorValue logits, TensorValue labels, bool sparse)
    {
        if (sparse)
        {
            if (logits.ndim != 2) throw ctx.Error($"logits must be 2-D, but got shape {TensorShape.Format(logits.Dims)}");
            if (labels.ndim != 1) throw ctx.Error($"labels must be 1-D, but got shape {TensorShape.Format(labels.Dims)}");
            if (labels.size != logits.Dims[0])
                throw ctx.Error($"logits and labels must have the same first dimension, got logits shape {TensorShape.Format(logits.Dims)} and labels shape {TensorShape.Format(labels.Dims)}");
            return;
        }
        if (logits.ndim != 2) throw ctx.Error($"logits must be 2-dimensional, got shape {TensorShape.Format(logits.Dims)}");
        if (!labels.Dims.AsSpan().SequenceEqual(logits.Dims))
            throw ctx.Error($"logits and labels must be same size: logits_size={TensorShape.Format(logits.Dims)} labels_size={TensorShape.Format(labels.Dims)}");
    }
}

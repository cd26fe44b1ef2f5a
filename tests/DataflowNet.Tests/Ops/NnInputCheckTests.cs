using DataflowNet;
using DataflowNet.Kernels.Cpu;
using NUnit.Framework;

namespace DataflowNet.Tests;

/// <summary>
/// Shapes the graph left open (placeholders of unknown rank) are checked when the losses, softmax and bias_add run:
/// TensorFlow's errors, on the CPU and the GPU device alike, never an index error or a value read past the data.
/// </summary>
public class NnInputCheckTests(string device) : DeviceTest(device)
{
    private static Tensor Unknown(DataType dtype, string name) => tf.placeholder(dtype, shape: null, name: name);

    /// <summary>Both cross-entropy ops over one logits placeholder of unknown shape, with label placeholders likewise.</summary>
    private static (Tensor Logits, Tensor Dense, Tensor Labels, Tensor Sparse) CrossEntropies()
    {
        var logits = Unknown(tf.float32, "logits");
        var dense = tf.nn.softmax_cross_entropy_with_logits_v2(Unknown(tf.float32, "labels"), logits);
        var labels = Unknown(tf.int32, "sparse_labels");
        return (logits, dense, labels, tf.nn.sparse_softmax_cross_entropy_with_logits(labels, logits));
    }

    [Test]
    public void CrossEntropyNeedsMatrixLogits()
    {
        var (logits, dense, labels, sparse) = CrossEntropies();
        using var sess = tf.Session();
        var cube = new float[2, 3, 4];
        var error = Assert.Throws<InvalidArgumentException>(() => sess.run(dense, (logits, cube), (dense.op.inputs[1], cube)));
        Assert.That(error!.Message, Does.StartWith("logits must be 2-dimensional, got shape (2, 3, 4)").And.Contain("SoftmaxCrossEntropyWithLogits"));
        error = Assert.Throws<InvalidArgumentException>(() => sess.run(sparse, (logits, cube), (labels, new[] { 0, 1 })));
        Assert.That(error!.Message, Does.StartWith("logits must be 2-D, but got shape (2, 3, 4)"));
        error = Assert.Throws<InvalidArgumentException>(() => sess.run(sparse, (logits, new float[2, 3]), (labels, new int[2, 1])));
        Assert.That(error!.Message, Does.StartWith("labels must be 1-D, but got shape (2, 1)"));
        error = Assert.Throws<InvalidArgumentException>(() => sess.run(sparse, (logits, new float[2, 3]), (labels, new[] { 0, 1, 2 })));
        Assert.That(error!.Message, Does.StartWith("logits and labels must have the same first dimension"));
        error = Assert.Throws<InvalidArgumentException>(() => sess.run(dense, (logits, new[] { 1f, 2f }), (dense.op.inputs[1], new[] { 1f, 0f })));
        Assert.That(error!.Message, Does.StartWith("logits must be 2-dimensional, got shape (2,)"));
    }

    [Test]
    public void CrossEntropyOverNoClasses()
    {
        // Rows with no class lose nothing (TensorFlow gives zeros); a sparse label can never be in range.
        var (logits, dense, labels, sparse) = CrossEntropies();
        using var sess = tf.Session();
        AssertValue(sess.run(dense, (logits, new float[3, 0]), (dense.op.inputs[1], new float[3, 0])), new[] { 0f, 0f, 0f }, [3]);
        var error = Assert.Throws<InvalidArgumentException>(() => sess.run(sparse, (logits, new float[2, 0]), (labels, new[] { 0, 0 })));
        Assert.That(error!.Message, Does.StartWith("Received a label value of 0 which is outside the valid range of [0, 0)"));
    }

    [Test]
    public void SoftmaxNeedsAnAxis()
    {
        var x = Unknown(tf.float32, "x");
        using var sess = tf.Session();
        foreach (var op in new[] { tf.nn.softmax(x), tf.nn.log_softmax(x) })
        {
            var error = Assert.Throws<InvalidArgumentException>(() => sess.run(op, (x, 3f)));
            Assert.That(error!.Message, Does.StartWith("logits must have >= 1 dimension, got ()"));
        }
    }

    [Test]
    public void BiasAddNeedsRankTwoAndOneBiasPerChannel()
    {
        var x = Unknown(tf.float32, "x");
        var b = Unknown(tf.float32, "b");
        var y = tf.nn.bias_add(x, b);
        using var sess = tf.Session();
        var error = Assert.Throws<InvalidArgumentException>(() => sess.run(y, (x, new[] { 1f, 2f }), (b, new[] { 1f, 2f })));
        Assert.That(error!.Message, Does.StartWith("Input tensor must be at least 2D: (2,)").And.Contain("BiasAdd"));
        error = Assert.Throws<InvalidArgumentException>(() => sess.run(y, (x, new float[2, 3]), (b, new[] { 1f })));
        Assert.That(error!.Message, Does.StartWith("Must provide as many biases as the channel dimension"));
        AssertValue(sess.run(y, (x, new float[,] { { 1, 2 }, { 3, 4 } }), (b, new[] { 10f, 20f })), new[] { 11f, 22f, 13f, 24f }, [2, 2]);
    }
}

/// <summary>The vectorized NHWC max pooling counts window positions in the element type: only where that is exact.</summary>
public class PoolPathTests
{
    [Test]
    public void WindowsOfTwoToThe24ElementsUseThePerElementLoop()
    {
        Func<string, Exception> error = m => new InvalidArgumentException(m);
        var small = Window2D.Pool([1, 8, 8, 16], [1, 3, 3, 1], [1, 1, 1, 1], nchw: false, same: false, error);
        var huge = Window2D.Pool([1, 4097, 4097, 16], [1, 4097, 4097, 1], [1, 1, 1, 1], nchw: false, same: false, error);
        Assert.That(PoolKernels.Vectorized<float>(small), Is.True);
        Assert.That(PoolKernels.Vectorized<float>(huge), Is.False, "4097 × 4097 positions: float32 counts past 2^24 inexactly");
    }
}

using DataflowNet;
using NumSharp;
using NUnit.Framework;

namespace DataflowNet.Tests;

/// <summary>A warm plan allocates nothing on the managed heap: buffers, frames, feeds and variable updates are reused.</summary>
public class AllocationTests : GraphTest
{
    private static long AllocatedBy(Action step, int warmup = 5, int runs = 20)
    {
        for (int i = 0; i < warmup; i++) step();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < runs; i++) step();
        return (GC.GetAllocatedBytesForCurrentThread() - before) / runs;
    }

    [Test]
    public void FusedAssignStepAllocatesNothing()
    {
        var x = tf.Variable(tf.ones(10000));
        var w = tf.Variable(tf.ones(10000) * 2f);
        var b = tf.Variable(tf.zeros(10000));
        var y = tf.Variable(tf.zeros(10000));
        var step = y.assign(tf.nn.relu(x * w + b)).op;
        using var sess = tf.Session();
        sess.run(tf.global_variables_initializer());
        Assert.That(AllocatedBy(() => sess.run(step)), Is.EqualTo(0));
        Assert.That((float)sess.run(tf.reduce_sum(y)), Is.EqualTo(20000f));
    }

    [Test]
    public void SmallTrainingStepWithNDArrayFeedsAllocatesNothing()
    {
        // A logistic-regression step: no matmul over large inputs, every other kernel of a training step.
        var x = tf.placeholder(tf.float32, shape: (-1, 4));
        var y = tf.placeholder(tf.float32, shape: (-1, 3));
        var W = tf.Variable(tf.zeros((4, 3)));
        var bias = tf.Variable(tf.zeros(3));
        var logits = tf.matmul(x, W) + bias;
        var loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits_v2(labels: y, logits: logits));
        var train = tf.train.GradientDescentOptimizer(0.1f).minimize(loss);
        using var sess = tf.Session();
        sess.run(tf.global_variables_initializer());
        using var xb = np.array(new float[,] { { 1, 2, 3, 4 }, { 0, 1, 0, 1 } });
        using var yb = np.array(new float[,] { { 1, 0, 0 }, { 0, 0, 1 } });
        var feed = new FeedDict { [x] = xb, [y] = yb };
        Assert.That(AllocatedBy(() => sess.run(train, feed)), Is.EqualTo(0));
        Assert.That((float)sess.run(loss, feed), Is.LessThan(MathF.Log(3)), "the steps trained");
    }
}

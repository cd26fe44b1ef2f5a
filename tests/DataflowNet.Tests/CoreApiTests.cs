using DataflowNet;
using NumSharp;
using NUnit.Framework;

namespace DataflowNet.Tests;

/// <summary>The API of the core-runtime issue, as users write it.</summary>
public class CoreApiTests : GraphTest
{
    [Test]
    public void HelloWorldStringScalar()
    {
        var hello = tf.constant("Hello World!");
        Assert.That(hello.dtype, Is.EqualTo(tf.@string));
        Assert.That(hello.shape.Rank, Is.EqualTo(0));
        using var sess = tf.Session();
        var result = sess.run(hello);
        Assert.That(result.ToString(), Is.EqualTo("Hello World!"));
        Assert.That((string)result, Is.EqualTo("Hello World!"));
    }

    [Test]
    public void ConstantsOfEachRankInferInt32()
    {
        var A = tf.constant(500);
        var B = tf.constant(new[] { 345, 999, 888, 7777 });
        var C = tf.constant(new[,] { { 1, 2, 3 }, { 444, 555, 666 }, { 77, 88, 99 } });
        Assert.That(A.dtype, Is.EqualTo(tf.int32));
        Assert.That(A.shape.Rank, Is.EqualTo(0));
        Assert.That(B.shape.Dims, Is.EqualTo(new[] { 4 }));
        Assert.That(C.shape.Dims, Is.EqualTo(new[] { 3, 3 }));
        AssertValue(Eval(C), new[] { 1, 2, 3, 444, 555, 666, 77, 88, 99 }, [3, 3]);
        Assert.That((int)Eval(A), Is.EqualTo(500));
    }

    [Test]
    public void StringPlaceholderFedThroughFeedDict()
    {
        var x = tf.placeholder(tf.@string);
        using var sess = tf.Session();
        Assert.That((string)sess.run(x, feed_dict: new FeedDict { [x] = "Hello World" }), Is.EqualTo("Hello World"));
        Assert.That((string)sess.run(x, (x, "tuple feed")), Is.EqualTo("tuple feed"));
    }

    [Test]
    public void CastThenSubtractGivesOne()
    {
        var one = tf.subtract(tf.cast(tf.constant(2.0), tf.int32), tf.constant(1));
        Assert.That(one.dtype, Is.EqualTo(tf.int32));
        Assert.That((int)Eval(one), Is.EqualTo(1));
    }

    [Test]
    public void TruncatedNormalWeightsAndZeroBias()
    {
        var weights = tf.Variable(tf.truncated_normal(new[] { 120, 5 }));
        var bias = tf.Variable(tf.zeros(5));
        using var sess = tf.Session();
        sess.run(tf.global_variables_initializer());
        NDArray w = sess.run(weights);
        using (w)
        {
            Assert.That(w.shape, Is.EqualTo(new long[] { 120, 5 }));
            var values = w.ToArray<float>();
            Assert.That(values.All(v => Math.Abs(v) <= 2f), "every |w| <= 2");
            Assert.That(values.Distinct().Count(), Is.GreaterThan(500), "values are random, not constant");
            Assert.That(Math.Abs(values.Average()), Is.LessThan(0.2), "mean near 0");
        }
        AssertValue(sess.run(bias), new float[5], [5]);
    }

    [Test]
    public void DoubleLiteralsBecomeFloat32UnlessDtypeGiven()
    {
        Assert.That(tf.constant(2.0).dtype, Is.EqualTo(tf.float32));
        Assert.That(tf.constant(new[] { 1.5, 2.5 }).dtype, Is.EqualTo(tf.float32));
        Assert.That(tf.constant(2.0, dtype: tf.float64).dtype, Is.EqualTo(tf.float64));
        Assert.That(tf.constant(2L).dtype, Is.EqualTo(tf.int64));
        Assert.That(tf.constant(true).dtype, Is.EqualTo(tf.@bool));
        using var nd = np.array(new[] { 1.0, 2.0 });
        Assert.That(tf.constant(nd).dtype, Is.EqualTo(tf.float64), "an NDArray keeps its dtype");
    }

    [Test]
    public void TupleFetchGivesTupleAndOperationGivesNull()
    {
        var v = tf.Variable(1.0f, name: "counter");
        var inc = v.assign_add(2.0f);
        using var sess = tf.Session();
        sess.run(v.initializer);
        var (value, nothing) = sess.run((inc, tf.no_op()));
        Assert.That(nothing, Is.Null);
        Assert.That((float)value!, Is.EqualTo(3f));
    }
}

using DataflowNet;
using NumSharp;
using NUnit.Framework;

namespace DataflowNet.Tests;

/// <summary>Every bad input of the core runtime: a typed exception naming the tensor, the expected and the given, and the creation site.</summary>
public class ErrorTests : GraphTest
{
    private const string ThisFile = "ErrorTests.cs:";

    [Test]
    public void FeedOfWrongDtypeNamesTensorTypesAndSite()
    {
        var x = tf.placeholder(tf.float32, name: "images");
        using var sess = tf.Session();
        var e = Assert.Throws<InvalidArgumentException>(() => sess.run(x * 2, (x, "not a number")))!;
        Assert.That(e.Message, Does.Contain("'images:0'"));
        Assert.That(e.Message, Does.Contain("float32"));
        Assert.That(e.Message, Does.Contain("string"));
        Assert.That(e.Message, Does.Contain(ThisFile));
    }

    [Test]
    public void FeedOfWrongShapeNamesBothShapes()
    {
        var x = tf.placeholder(tf.float32, shape: (-1, 784), name: "x");
        using var sess = tf.Session();
        var e = Assert.Throws<InvalidArgumentException>(() => sess.run(x, (x, new float[2, 10])))!;
        Assert.That(e.Message, Does.Contain("Cannot feed value of shape (2, 10) for Tensor 'x:0', which has shape (?, 784)"));
        Assert.That(e.Message, Does.Contain(ThisFile));
    }

    [Test]
    public void LossyFeedConversionsAreRefusedAndSafeOnesAccepted()
    {
        var i = tf.placeholder(tf.int32, name: "i");
        var f = tf.placeholder(tf.float32, name: "f");
        using var sess = tf.Session();
        Assert.That(Assert.Throws<InvalidArgumentException>(() => sess.run(i, (i, new[] { 1.5 })))!.Message, Does.Contain("1.5"));
        Assert.That(Assert.Throws<InvalidArgumentException>(() => sess.run(i, (i, new[] { 1L << 40 })))!.Message, Does.Contain("int32"));
        Assert.Throws<InvalidArgumentException>(() => sess.run(i, (i, true)));
        AssertValue(sess.run(i, (i, new[] { 7L, -3L })), new[] { 7, -3 }, [2]);
        using var doubles = np.array(new[] { 0.5, 0.25 });
        AssertValue(sess.run(f, (f, doubles)), new[] { 0.5f, 0.25f }, [2]);
        AssertValue(sess.run(f, (f, new[] { 1, 2 })), new[] { 1f, 2f }, [2]);
    }

    [Test]
    public void UnfedPlaceholdersAreAllListed()
    {
        var a = tf.placeholder(tf.float32, name: "a");
        var b = tf.placeholder(tf.int32, shape: new[] { 3 }, name: "b");
        var unused = tf.placeholder(tf.float32, name: "unused");
        var y = a + tf.cast(b, tf.float32);
        using var sess = tf.Session();
        var e = Assert.Throws<InvalidArgumentException>(() => sess.run(y))!;
        Assert.That(e.Message, Does.Contain("'a'").And.Contain("'b'").And.Contain("int32"));
        Assert.That(e.Message, Does.Not.Contain("unused"), "a placeholder the fetch does not need is not required");
        Assert.That(e.Message, Does.Contain(ThisFile));
        AssertValue(sess.run(y, (a, 1f), (b, new[] { 1, 2, 3 })), new[] { 2f, 3f, 4f }, [3]);
    }

    [Test]
    public void UninitializedVariableReadIsFailedPrecondition()
    {
        var weights = tf.Variable(tf.zeros((2, 2)), name: "weights");
        using var sess = tf.Session();
        var e = Assert.Throws<FailedPreconditionException>(() => sess.run(weights * 2))!;
        Assert.That(e.Message, Does.StartWith("Attempting to use uninitialized value weights"));
        Assert.That(e.Message, Does.Contain(ThisFile));
        Assert.Throws<FailedPreconditionException>(() => sess.run(weights));
    }

    [Test]
    public void ShapeIncompatibleOpsFailAtBuildTime()
    {
        var m1 = tf.constant(new float[2, 3]);
        var m2 = tf.constant(new float[4, 5]);
        var e1 = Assert.Throws<InvalidArgumentException>(() => tf.matmul(m1, m2))!;
        Assert.That(e1.Message, Does.Contain("(2, 3)").And.Contain("(4, 5)").And.Contain(ThisFile));
        var e2 = Assert.Throws<InvalidArgumentException>(() => tf.add(tf.constant(new float[3]), tf.constant(new float[4])))!;
        Assert.That(e2.Message, Does.Contain("(3,)").And.Contain("(4,)").And.Contain("AddV2"));
    }

    [Test]
    public void FetchFromAnotherGraphIsRejected()
    {
        var other = new Graph();
        Tensor foreign;
        using (other.as_default()) foreign = tf.constant(1);
        tf.constant(2);
        using var sess = tf.Session();
        var e = Assert.Throws<InvalidArgumentException>(() => sess.run(foreign))!;
        Assert.That(e.Message, Does.Contain("not an element of this graph"));
    }

    [Test]
    public void FeedOfTensorFromAnotherGraphIsRejected()
    {
        var other = new Graph();
        Tensor foreign;
        using (other.as_default()) foreign = tf.placeholder(tf.float32);
        var y = tf.constant(1f);
        using var sess = tf.Session();
        var e = Assert.Throws<InvalidArgumentException>(() => sess.run(y, (foreign, 1f)))!;
        Assert.That(e.Message, Does.Contain("feed_dict key").And.Contain("not an element of this graph"));
    }

    [Test]
    public void FailedFeedValidationChangesNoVariable()
    {
        var v = tf.Variable(10f);
        var x = tf.placeholder(tf.float32, shape: new[] { 2 });
        var step = v.assign_add(1f);
        using var sess = tf.Session();
        sess.run(v.initializer);
        Assert.Throws<InvalidArgumentException>(() => sess.run((step, x * 2), (x, new[] { 1f, 2f, 3f })));
        Assert.That((float)sess.run(v), Is.EqualTo(10f));
    }

    [Test]
    public void RunThatFailsInAKernelChangesNoVariable()
    {
        var v = tf.Variable(10f);
        var idx = tf.placeholder(tf.int32);
        var step = v.assign_add(1f);
        Tensor gathered;
        using (tf.control_dependencies(step)) gathered = tf.gather(tf.constant(new[] { 1f, 2f }), idx);
        using var sess = tf.Session();
        sess.run(v.initializer);
        var e = Assert.Throws<InvalidArgumentException>(() => sess.run(gathered, (idx, 5)))!;
        Assert.That(e.Message, Does.Contain("indices[0] = 5 is not in [0, 2)"));
        Assert.That((float)sess.run(v), Is.EqualTo(10f), "the staged assign_add was not committed");
        Assert.That((float)sess.run(gathered, (idx, 1)), Is.EqualTo(2f));
        Assert.That((float)sess.run(v), Is.EqualTo(11f));
    }

    [Test]
    public void DisposedSessionThrowsObjectDisposed()
    {
        var c = tf.constant(1);
        var sess = tf.Session();
        sess.Dispose();
        Assert.Throws<ObjectDisposedException>(() => sess.run(c));
    }

    [Test]
    public void UnknownOpTypeIsNotFound()
    {
        var e = Assert.Throws<NotFoundException>(() => OpRegistry.Get("NoSuchOp"))!;
        Assert.That(e.Message, Does.Contain("NoSuchOp"));
    }

    [Test]
    public void ScalarConversionOfNonScalarIsInvalidCast()
    {
        var v = Eval(tf.constant(new[] { 1f, 2f }));
        Assert.Throws<InvalidCastException>(() => _ = (float)v);
        Assert.Throws<InvalidCastException>(() => _ = (string)v);
        Assert.Throws<InvalidCastException>(() => { using var nd = Eval(tf.constant("s")).numpy(); });
    }

    [Test]
    public void RaggedJaggedArrayIsRejected()
    {
        var e = Assert.Throws<InvalidArgumentException>(() => tf.constant(new[] { new[] { 1, 2 }, new[] { 3 } }))!;
        Assert.That(e.Message, Does.Contain("not rectangular"));
    }
}

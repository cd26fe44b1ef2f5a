using DataflowNet;
using NUnit.Framework;

namespace DataflowNet.Tests;

/// <summary>Variables: updates, per-session values, partial initialization, and use in arithmetic.</summary>
public class VariableTests : GraphTest
{
    [Test]
    public void AssignAssignAddAssignSub()
    {
        var v = tf.Variable(new[] { 1f, 2f, 3f });
        var set = v.assign(new[] { 10f, 20f, 30f });
        var add = v.assign_add(new[] { 1f, 1f, 2f });
        var sub = v.assign_sub(new[] { 0.5f, 4f, 8f });
        using var sess = tf.Session();
        sess.run(v.initializer);
        AssertValue(sess.run(v), new[] { 1f, 2f, 3f }, [3]);
        AssertValue(sess.run(set), new[] { 10f, 20f, 30f }, [3]);
        AssertValue(sess.run(v), new[] { 10f, 20f, 30f }, [3]);
        AssertValue(sess.run(add), new[] { 11f, 21f, 32f }, [3]);
        AssertValue(sess.run(add), new[] { 12f, 22f, 34f }, [3]);
        AssertValue(sess.run(sub), new[] { 11.5f, 18f, 26f }, [3]);
        AssertValue(sess.run(v), new[] { 11.5f, 18f, 26f }, [3]);
    }

    [Test]
    public void IntegerVariableCounts()
    {
        var counter = tf.Variable(0, name: "counter");
        var step = counter.assign_add(1);
        using var sess = tf.Session();
        sess.run(tf.global_variables_initializer());
        for (int i = 0; i < 5; i++) sess.run(step);
        Assert.That((int)sess.run(counter), Is.EqualTo(5));
        Assert.That((int)sess.run(counter.assign_sub(7)), Is.EqualTo(-2));
        // Re-running the initializer resets it.
        sess.run(counter.initializer);
        Assert.That((int)sess.run(counter), Is.EqualTo(0));
    }

    [Test]
    public void AssignWithAMismatchedShapeFailsAtBuildTime()
    {
        var v = tf.Variable(new[] { 1f, 2f });
        Assert.Throws<InvalidArgumentException>(() => v.assign(new[] { 1f, 2f, 3f }));
        Assert.Throws<InvalidArgumentException>(() => v.assign_add(new[,] { { 1f, 2f } }));
    }

    [Test]
    public void TwoSessionsOnOneGraphKeepSeparateValues()
    {
        var v = tf.Variable(5);
        var add = v.assign_add(10);
        using var s1 = tf.Session();
        using var s2 = tf.Session();
        s1.run(v.initializer);
        s2.run(v.initializer);
        s1.run(add);
        s1.run(add);
        Assert.That((int)s1.run(v), Is.EqualTo(25));
        Assert.That((int)s2.run(v), Is.EqualTo(5));
        s2.run(v.assign(-1));
        Assert.That((int)s1.run(v), Is.EqualTo(25));
        Assert.That((int)s2.run(v), Is.EqualTo(-1));
        // A third session has not initialized it at all.
        using var s3 = tf.Session();
        Assert.Throws<FailedPreconditionException>(() => s3.run(v));
    }

    [Test]
    public void VariablesInitializerInitializesOnlyTheListedVariables()
    {
        var a = tf.Variable(1f, name: "a");
        var b = tf.Variable(2f, name: "b");
        var c = tf.Variable(3f, name: "c");
        using var sess = tf.Session();
        sess.run(tf.variables_initializer([a, c]));
        Assert.That((float)sess.run(a), Is.EqualTo(1f));
        Assert.That((float)sess.run(c), Is.EqualTo(3f));
        var e = Assert.Throws<FailedPreconditionException>(() => sess.run(b));
        Assert.That(e!.Message, Does.Contain("uninitialized").And.Contain("b"));
        Assert.Throws<FailedPreconditionException>(() => sess.run(a + b));
        sess.run(tf.variables_initializer([b]));
        Assert.That((float)sess.run(a + b), Is.EqualTo(3f));
    }

    [Test]
    public void AVariableInArithmetic()
    {
        var v = tf.Variable(new[] { 1f, 2f, -3f });
        var y = v * 2 + v;
        Assert.That(y.dtype, Is.EqualTo(tf.float32));
        Assert.That(y.shape.Dims, Is.EqualTo(new[] { 3 }));
        using var sess = tf.Session();
        sess.run(tf.global_variables_initializer());
        AssertValue(sess.run(y), new[] { 3f, 6f, -9f }, [3]);
        sess.run(v.assign(new[] { 10f, 0f, 0.5f }));
        AssertValue(sess.run(y), new[] { 30f, 0f, 1.5f }, [3]);
        var w = tf.Variable(new[,] { { 1f, 2f }, { 3f, 4f } });
        var prod = tf.matmul(w, w);
        sess.run(w.initializer);
        AssertValue(sess.run(prod), new[] { 7f, 10f, 15f, 22f }, [2, 2]);
    }

    [Test]
    public void AVariableInitializedFromAnotherVariablesInitialValue()
    {
        var a = tf.Variable(tf.constant(new[] { 1, 2 }));
        var b = tf.Variable(a.initial_value * 3);
        using var sess = tf.Session();
        sess.run(tf.global_variables_initializer());
        AssertValue(sess.run(b), new[] { 3, 6 }, [2]);
    }

    [Test]
    public void OneRunReadsAVariableBeforeUpdatingIt()
    {
        // Without a control dependency, a read fetched beside an update sees the value from before the run.
        var v = tf.Variable(1f);
        var inc = v.assign_add(1f);
        using var sess = tf.Session();
        sess.run(v.initializer);
        var (before, after) = sess.run((v, inc));
        Assert.That((float)before!, Is.EqualTo(1f));
        Assert.That((float)after!, Is.EqualTo(2f));
        Assert.That((float)sess.run(v), Is.EqualTo(2f));
    }

    [Test]
    public void AFailedRunChangesNoVariable()
    {
        var v = tf.Variable(1);
        var p = tf.placeholder(tf.int32);
        var inc = v.assign_add(1);
        Tensor bad;
        using (tf.control_dependencies(new object[] { inc })) bad = tf.gather(tf.constant(new[] { 1, 2 }), p);
        using var sess = tf.Session();
        sess.run(v.initializer);
        Assert.Throws<InvalidArgumentException>(() => sess.run(bad, (p, 5)));
        Assert.That((int)sess.run(v), Is.EqualTo(1));
        Assert.That((int)sess.run(bad, (p, 1)), Is.EqualTo(2));
        Assert.That((int)sess.run(v), Is.EqualTo(2));
    }

    [Test]
    public void AReadWaitingOnOneWriteStillRunsBeforeAnUnrelatedWriteOfItsVariable()
    {
        // y reads v2 after a (a write of v1); b (a write of v2, created first) depends on neither. Every variable is
        // read before any update that does not depend on it: y sees v2 before b.
        var v1 = tf.Variable(0f, name: "v1");
        var v2 = tf.Variable(10f, name: "v2");
        var b = v2.assign_add(1f);
        var a = v1.assign(5f);
        Tensor y;
        using (tf.control_dependencies(new object[] { a })) y = v2.read_value();
        using var sess = tf.Session();
        sess.run(tf.global_variables_initializer());
        var (ry, rb) = sess.run((y, b));
        AssertValue(ry!, new[] { 10f }, []);
        AssertValue(rb!, new[] { 11f }, []);
        AssertValue(sess.run(v1), new[] { 5f }, []);
    }

    [Test]
    public void AnEmptyNameIsTheDefaultName()
    {
        // TensorFlow falls back to the op's default name; an empty scope gave an op named "" (tensor ":0").
        var v = tf.Variable(1f, name: "");
        var r = tf.random_normal(new TensorShape(2), name: "");
        var t = tf.truncated_normal(new TensorShape(2), name: "");
        Assert.That(v.op.name, Is.EqualTo("Variable"));
        Assert.That(r.op.name, Is.EqualTo("random_normal"));
        Assert.That(t.op.name, Is.EqualTo("truncated_normal"));
    }
}

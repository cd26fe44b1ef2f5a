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

    [Test]
    public void AVariableInitializedFromZerosLikeOfAnotherDoesNotWaitForIt()
    {
        // TF 1's graph mode: zeros_like/ones_like/shape of a fully known shape are constants, so one
        // global_variables_initializer run initializes both (velocity buffers, moving averages).
        var w = tf.Variable(tf.truncated_normal((3, 2)), name: "w");
        var velocity = tf.Variable(tf.zeros_like(w), name: "velocity");
        var scale = tf.Variable(tf.ones_like(w), name: "scale");
        var filled = tf.Variable(tf.fill(tf.shape(w), 0.5f), name: "filled");
        using var sess = tf.Session();
        sess.run(tf.global_variables_initializer());
        AssertValue(sess.run(velocity), new float[6], [3, 2]);
        AssertValue(sess.run(scale), Enumerable.Repeat(1f, 6).ToArray(), [3, 2]);
        AssertValue(sess.run(filled), Enumerable.Repeat(0.5f, 6).ToArray(), [3, 2]);
        // A shape known only when fed is still read at run time, also into another dtype.
        var p = tf.placeholder(tf.float32, shape: (-1, 2));
        var feed = new FeedDict { [p] = new float[3, 2] };
        AssertValue(sess.run(tf.ones_like(p), feed), Enumerable.Repeat(1f, 6).ToArray(), [3, 2]);
        AssertValue(sess.run(tf.zeros_like(p, dtype: tf.int32), feed), new int[6], [3, 2]);
        AssertValue(sess.run(tf.shape(p), feed), new[] { 3, 2 }, [2]);
        AssertValue(sess.run(tf.size(p), feed), new[] { 6 }, []);
        Assert.That(tf.shape(w).op.type, Is.EqualTo("Const"));
        Assert.That(tf.rank(p).op.type, Is.EqualTo("Const"), "rank 2 is known");
    }

    [Test]
    public void AVariableCreatedInsideACondBranchBelongsToNoBranch()
    {
        var p = tf.placeholder(tf.@bool, shape: new TensorShape(), name: "p");
        Variable? v = null;
        var y = tf.cond(p, () => { v = tf.Variable(2f, name: "v"); return v * 3f; }, () => tf.constant(0f));
        using var sess = tf.Session();
        sess.run(tf.global_variables_initializer()); // TF: runs without p
        AssertValue(sess.run(v!), new[] { 2f }, []);
        AssertValue(sess.run(y, (p, true)), new[] { 6f }, []);
        AssertValue(sess.run(y, (p, false)), new[] { 0f }, []);
        // An initial value computed inside the branch is refused, as in TensorFlow.
        var e = Assert.Throws<InvalidArgumentException>(() =>
            tf.cond(p, () => tf.Variable(tf.constant(1f) * 2f, name: "inner") * 1f, () => tf.constant(0f)));
        Assert.That(e!.Message, Does.Contain("from inside a control-flow construct"));
    }

    [Test]
    public void GradientsReachAVariableThroughEveryRead()
    {
        // TensorFlow differentiates a variable through its reference: read_value() is a path too.
        var v = tf.Variable(3f, name: "v");
        var g = tf.gradients(v.read_value() * 2f + v * 5f, v)[0];
        Assert.That(g, Is.Not.Null);
        var train = tf.train.GradientDescentOptimizer(0.5f).minimize(v.read_value() * 2f);
        using var sess = tf.Session();
        sess.run(tf.global_variables_initializer());
        AssertValue(sess.run(g!), new[] { 7f }, []);
        sess.run(train);
        AssertValue(sess.run(v), new[] { 2f }, [], 1e-6); // 3 - 0.5·2
    }

    [Test]
    public void ALoopThatAssignsEveryIterationCommitsTheLastValue()
    {
        var acc = tf.Variable(tf.zeros(new TensorShape(4)), name: "acc");
        var n = tf.while_loop(i => i < 3000, i =>
        {
            using (tf.control_dependencies([acc.assign_add(tf.ones(new TensorShape(4)))]))
                return i + 1;
        }, tf.constant(0));
        using var sess = tf.Session();
        sess.run(acc.initializer);
        AssertValue(sess.run(n), new[] { 3000 }, []);
        AssertValue(sess.run(acc), Enumerable.Repeat(3000f, 4).ToArray(), [4]);
    }

    [Test]
    public void AVariableReadInsideACondGetsItsGradientThroughThatReadAndALiveOneWhenTheBranchIsNotTaken()
    {
        // read_value() inside a branch takes the variable without a Switch: its gradient must count when the branch
        // runs (dy/dv = 1 + 2) and must not be dead when it does not (dy/dv = 1), or the update would silently not run.
        var v = tf.Variable(3f, name: "v");
        var p = tf.placeholder(tf.@bool, shape: new TensorShape(), name: "p");
        var y = v * 1f + tf.cond(p, () => v.read_value() * 2f, () => tf.constant(0f));
        var g = tf.gradients(y, v)[0]!;
        var train = tf.train.GradientDescentOptimizer(0.5f).minimize(y);
        using var sess = tf.Session();
        sess.run(tf.global_variables_initializer());
        AssertValue(sess.run(g, (p, false)), new[] { 1f }, []);
        AssertValue(sess.run(g, (p, true)), new[] { 3f }, []);
        sess.run(train, (p, false));
        AssertValue(sess.run(v), new[] { 2.5f }, []);
        sess.run(train, (p, true));
        AssertValue(sess.run(v), new[] { 1f }, []);
    }

    [Test]
    public void AVariableReadInNestedCondsGetsTheGradientOfTheBranchesTaken()
    {
        // y = v + (p ? (q ? 3·v : 5) : 7), read with read_value() in the inner branch: dy/dv = 1 + 3·[p and q].
        var v = tf.Variable(2f, name: "v");
        var p = tf.placeholder(tf.@bool, shape: new TensorShape(), name: "p");
        var q = tf.placeholder(tf.@bool, shape: new TensorShape(), name: "q");
        var y = v * 1f + tf.cond(p, () => tf.cond(q, () => v.read_value() * 3f, () => tf.constant(5f)), () => tf.constant(7f));
        var g = tf.gradients(y, v)[0]!;
        using var sess = tf.Session();
        sess.run(v.initializer);
        foreach (var (pv, qv, expected) in new[] { (true, true, 4f), (true, false, 1f), (false, true, 1f), (false, false, 1f) })
        {
            Assert.That(sess.run(g, (p, pv), (q, qv)).item<float>(), Is.EqualTo(expected), $"p={pv}, q={qv}");
            AssertValue(sess.run(y, (p, pv), (q, qv)), new[] { 2f + (pv ? (qv ? 6f : 5f) : 7f) }, []);
        }
    }

    [Test]
    public void ShapesAndZerosOfATensorInAnotherGraphStayInItsGraph()
    {
        var g = new Graph();
        Tensor x;
        using (g.as_default()) x = tf.placeholder(tf.float32, new TensorShape(2, 3));
        var z = x + tf.zeros_like(x);   // built with the default graph elsewhere: the constants must join x's graph
        Assert.That(z.graph, Is.SameAs(g));
        Assert.That(tf.shape(x).graph, Is.SameAs(g));
        Assert.That(tf.rank(x).graph, Is.SameAs(g));
        Assert.That(tf.size(x).graph, Is.SameAs(g));
        using var sess = tf.Session(g);
        AssertValue(sess.run(z, (x, new float[2, 3])), new float[6], [2, 3]);
    }

    [Test]
    public void AnEmptyNameKeepsAnOpAndItsLiteralInTheCurrentScope()
    {
        var x = tf.placeholder(tf.float32, name: "x");
        Tensor m;
        using (tf.name_scope("outer")) m = tf.multiply(x, 2f, name: "");
        Assert.That(m.op.name, Is.EqualTo("outer/Mul"));
        Assert.That(m.op.inputs[1].op.name, Is.EqualTo("outer/Mul/y"));
    }
}

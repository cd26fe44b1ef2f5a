using DataflowNet;
using NUnit.Framework;

namespace DataflowNet.Tests.Training;

/// <summary>Bad training graphs fail while the graph is built, with typed errors naming the tensors; non-finite values fail the run naming the op.</summary>
public class TrainingErrorTests : GraphTest
{
    [Test]
    public void MinimizeOfANonScalarLossNamesTheLoss()
    {
        var w = tf.Variable(new[] { 1f, 2f }, name: "w");
        var loss = tf.multiply(w, 3f, name: "vector_loss");
        var e = Assert.Throws<InvalidArgumentException>(() => tf.train.GradientDescentOptimizer(0.1f).minimize(loss))!;
        Assert.That(e.Message, Does.Contain("vector_loss:0"));
        Assert.That(e.Message, Does.Contain("(2,)"), "the loss's shape");
        Assert.That(e.Message, Does.Contain("scalar"));
        Assert.That(e.Message, Does.Contain("TrainingErrorTests.cs:"), "where the loss was created");
    }

    [Test]
    public void VarListHoldingAPlainTensorNamesIt()
    {
        var w = tf.Variable(new[] { 1f, 2f }, name: "w");
        var t = tf.multiply(w, 2f, name: "doubled");
        var loss = tf.reduce_sum(t * t);
        var e = Assert.Throws<InvalidArgumentException>(() => tf.train.AdamOptimizer().minimize(loss, var_list: new object[] { w, t }))!;
        Assert.That(e.Message, Does.Contain("doubled:0"));
        Assert.That(e.Message, Does.Contain("var_list"));
        Assert.That(e.Message, Does.Contain("Mul"), "the op type of the tensor");
    }

    [Test]
    public void SoftmaxCrossEntropyOfDifferentShapesNamesLabelsAndLogits()
    {
        var labels = tf.placeholder(tf.float32, new TensorShape(3, 4), name: "labels");
        var logits = tf.placeholder(tf.float32, new TensorShape(3, 5), name: "logits");
        var e = Assert.Throws<InvalidArgumentException>(() => tf.nn.softmax_cross_entropy_with_logits(labels, logits))!;
        Assert.That(e.Message, Does.Contain("logits:0").And.Contain("(3, 5)"));
        Assert.That(e.Message, Does.Contain("labels:0").And.Contain("(3, 4)"));
        var e2 = Assert.Throws<InvalidArgumentException>(() => tf.nn.softmax_cross_entropy_with_logits_v2(labels, logits))!;
        Assert.That(e2.Message, Does.Contain("logits:0").And.Contain("labels:0"));
    }

    [Test]
    public void ANonFloatingLearningRateNamesBothAndAFloat64OneIsCast()
    {
        var w = tf.Variable(new[] { 1f, 2f }, name: "weights");
        var loss = tf.reduce_sum(w * w);
        var lr = tf.constant(1, tf.int32, name: "lr_int");
        var e = Assert.Throws<InvalidArgumentException>(() => tf.train.GradientDescentOptimizer(lr).minimize(loss))!;
        Assert.That(e.Message, Does.Contain("lr_int:0").And.Contain("weights").And.Contain("int32").And.Contain("float32"));
        // The same through the other optimizers.
        Assert.Throws<InvalidArgumentException>(() => tf.train.MomentumOptimizer(lr, 0.9f).minimize(loss));
        Assert.Throws<InvalidArgumentException>(() => tf.train.AdamOptimizer(lr).minimize(loss));
        // A float64 rate is cast to the variable's float32, as TensorFlow's optimizers do: w − 0.25 · 2w.
        var train = tf.train.GradientDescentOptimizer(tf.constant(0.25, tf.float64, name: "lr64")).minimize(loss);
        using var sess = tf.Session();
        sess.run(w.initializer);
        sess.run(train);
        AssertValue(sess.run(w), new[] { 0.5f, 1f }, [2]);
    }

    [Test]
    public void MinimizeOfAnIntegerLossIsRefused()
    {
        var w = tf.Variable(new[] { 1f, 2f }, name: "w");
        var loss = tf.cast(tf.reduce_sum(w), tf.int32, name: "int_loss");
        var e = Assert.Throws<InvalidArgumentException>(() => tf.train.GradientDescentOptimizer(0.1f).minimize(loss))!;
        Assert.That(e.Message, Does.Contain("int_loss:0"));
    }

    [Test]
    public void MinimizeOfALossThatUsesNoVariableIsRefused()
    {
        tf.Variable(new[] { 1f, 2f }, name: "w");
        var x = tf.placeholder(tf.float32, new TensorShape(2));
        Assert.Throws<InvalidArgumentException>(() => tf.train.GradientDescentOptimizer(0.1f).minimize(tf.reduce_sum(x * x)));
    }

    // ---------------------------------------------------------------- check_numerics

    [Test]
    public void CheckNumericsFailsTheRunNamingTheOpAndMessage()
    {
        var x = tf.placeholder(tf.float32, new TensorShape(2), name: "x");
        var logX = tf.log(x, name: "log_x");
        var checkedLog = tf.debugging.check_numerics(logX, "log of x blew up", name: "check_log");
        using var sess = tf.Session();
        // Finite values pass through unchanged: log 1 = 0, log e ≈ 1.
        AssertValue(sess.run(checkedLog, (x, new[] { 1f, (float)Math.E })), new[] { 0f, 1f }, [2], 1e-6);
        var e = Assert.Throws<InvalidArgumentException>(() => sess.run(checkedLog, (x, new[] { 0f, 2f })))!;
        Assert.That(e.Message, Does.Contain("log of x blew up"));
        Assert.That(e.Message, Does.Contain("Inf"));
        Assert.That(e.Message, Does.Contain("'check_log'"));
        Assert.That(e.Op, Is.SameAs(checkedLog.op));
        // tf.check_numerics is the same op.
        var again = tf.check_numerics(tf.log(x), "second");
        Assert.That(Assert.Throws<InvalidArgumentException>(() => sess.run(again, (x, new[] { -1f, 2f })))!.Message, Does.Contain("NaN"));
    }

    [Test]
    public void AddCheckNumericsOpsNamesTheOpThatMadeTheInfAndAFailedStepChangesNoVariable()
    {
        // x = [0, 2]: log(x) = [-inf, ln 2], exp(log(x)) = [0, 2] is finite again, so the Log op is the only one
        // with a non-finite output. loss = sum(w · exp(log x)) has gradient [0, 2] with respect to w.
        var x = tf.placeholder(tf.float32, new TensorShape(2), name: "x");
        var w = tf.Variable(new[] { 1f, 1f }, name: "w");
        var logX = tf.log(x, name: "log_x");
        var loss = tf.reduce_sum(w * tf.exp(logX), name: "loss");
        var step = tf.train.get_or_create_global_step();
        var train = tf.train.GradientDescentOptimizer(0.5f).minimize(loss, global_step: step);
        var check = tf.add_check_numerics_ops();
        using var sess = tf.Session();
        sess.run(tf.global_variables_initializer());

        var e = Assert.Throws<InvalidArgumentException>(() => sess.run(new IFetchable[] { train, check }, (x, new[] { 0f, 2f })))!;
        Assert.That(e.Message, Does.Contain("log_x"));
        Assert.That(e.Message, Does.Contain("Log"));
        Assert.That(e.Message, Does.Contain("Inf"));
        // The failed run committed nothing: neither w nor global_step moved.
        AssertValue(sess.run(w), new[] { 1f, 1f }, [2]);
        Assert.That((long)sess.run(step), Is.EqualTo(0L));

        // With finite values the same run trains: w -= 0.5 · x.
        sess.run(new IFetchable[] { train, check }, (x, new[] { 1f, 2f }));
        AssertValue(sess.run(w), new[] { 0.5f, 0f }, [2]);
        Assert.That((long)sess.run(step), Is.EqualTo(1L));
        // Without the check the bad input does train (the gradient [0, 2] is finite): the check is what stopped it.
        sess.run(train, (x, new[] { 0f, 2f }));
        AssertValue(sess.run(w), new[] { 0.5f, -1f }, [2]);
    }

    [Test]
    public void AFedLearningRateMustBeAScalarAndAFailedStepChangesNothing()
    {
        // Unknown static shape: the check happens when the step runs, before any variable is written.
        var lr = tf.placeholder(tf.float32, name: "lr");
        var w = tf.Variable(new[] { 1f, 2f }, name: "w");
        var train = tf.train.GradientDescentOptimizer(lr).minimize(tf.reduce_sum(w * w));
        using var sess = tf.Session();
        sess.run(tf.global_variables_initializer());
        var e = Assert.Throws<InvalidArgumentException>(() => sess.run(train, (lr, new[] { 0.1f, 0.5f })));
        Assert.That(e!.Message, Does.Contain("must be a scalar").And.Contain("(2,)"));
        Assert.Throws<InvalidArgumentException>(() => sess.run(train, (lr, Array.Empty<float>())));
        AssertValue(sess.run(w), new[] { 1f, 2f }, [2]);
        sess.run(train, (lr, 0.25f));
        AssertValue(sess.run(w), new[] { 0.5f, 1f }, [2]); // w − 0.25·2w
    }

    [Test]
    public void AdagradNeedsAPositiveInitialAccumulator()
    {
        var e = Assert.Throws<InvalidArgumentException>(() => tf.train.AdagradOptimizer(0.1f, initial_accumulator_value: 0f));
        Assert.That(e!.Message, Does.Contain("initial_accumulator_value must be positive"));
    }
}

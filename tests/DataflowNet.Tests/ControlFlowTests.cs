using DataflowNet;
using DataflowNet.Io.Proto;
using NUnit.Framework;

namespace DataflowNet.Tests;

/// <summary>tf.cond and tf.while_loop: the branch taken, deadness, loop frames, gradients, and graph files written by TensorFlow.</summary>
public class ControlFlowTests : GraphTest
{
    private static string Fixture(string name) => Fixtures.Path(name);

    // ---------- graphs written by TensorFlow ----------
    [Test]
    public void CondGraphWrittenByTensorFlowGives34()
    {
        var def = MetaGraphDef.Parser.ParseFrom(File.ReadAllBytes(Fixture("cond_test.meta"))).GraphDef;
        tf.import_graph_def(def, name: "");
        // tf.cond(2 < 5, lambda: 2 * 17, lambda: 5 + 23)
        var merge = tf.get_default_graph().get_tensor_by_name("cond/Merge:0");
        AssertValue(Eval(merge), [34], []);
    }

    [Test]
    public void WhileLoopGraphWrittenByTensorFlowGives10()
    {
        var def = GraphDef.Read(Fixture("graph-while-loop.pbtxt"));
        var exit = (Tensor)tf.import_graph_def(def, return_elements: ["while/Exit:0"])[0];
        Assert.That(exit.name, Is.EqualTo("import/while/Exit:0"));
        AssertValue(Eval(exit), [10], []);
    }

    // ---------- tf.cond ----------
    [Test]
    public void CondTakesTheBranchThePredicateSelects()
    {
        var x = tf.placeholder(tf.float32, name: "x");
        var y = tf.cond(x > 0f, () => x * 2f, () => x - 1f);
        Assert.That(y.op.type, Is.EqualTo("Merge"));
        using var sess = tf.Session();
        AssertValue(sess.run(y, (x, 3f)), [6f], []);
        AssertValue(sess.run(y, (x, -2f)), [-3f], []);
    }

    [Test]
    public void OnlyTheTakenBranchRuns()
    {
        // log of a negative number fails check_numerics; the false branch keeps it from running when x <= 0.
        var x = tf.placeholder(tf.float32, shape: new TensorShape(), name: "x");
        var y = tf.cond(x > 0f, () => tf.check_numerics(tf.log(x), "log of x"), () => tf.zeros_like(x));
        using var sess = tf.Session();
        AssertValue(sess.run(y, (x, -1f)), [0f], []);
        AssertValue(sess.run(y, (x, MathF.E)), [1f], [], 1e-6);
        // The same op outside a cond does fail: the test above would have caught it running.
        var direct = tf.check_numerics(tf.log(x), "log of x");
        Assert.Throws<InvalidArgumentException>(() => sess.run(direct, (x, -1f)));
    }

    [Test]
    public void AnAssignInTheUntakenBranchChangesNothing()
    {
        var counter = tf.Variable(0, name: "counter");
        var p = tf.placeholder(tf.@bool, shape: new TensorShape(), name: "p");
        var step = tf.cond(p, () => counter.assign_add(1), () => tf.identity(counter));
        using var sess = tf.Session();
        sess.run(tf.global_variables_initializer());
        AssertValue(sess.run(step, (p, true)), [1], []);
        AssertValue(sess.run(step, (p, false)), [1], []);
        AssertValue(sess.run(step, (p, true)), [2], []);
        AssertValue(sess.run(counter), [2], []);
    }

    [Test]
    public void NestedCondsAndOutsideValues()
    {
        var a = tf.placeholder(tf.@bool, shape: new TensorShape(), name: "a");
        var b = tf.placeholder(tf.@bool, shape: new TensorShape(), name: "b");
        var outside = tf.constant(100, name: "outside");
        var y = tf.cond(a, () => tf.cond(b, () => outside + 1, () => tf.constant(2)), () => outside);
        using var sess = tf.Session();
        foreach (var (va, vb, expected) in new[] { (true, true, 101), (true, false, 2), (false, true, 100), (false, false, 100) })
            AssertValue(sess.run(y, (a, va), (b, vb)), [expected], []);
    }

    [Test]
    public void CondWithSeveralOutputs()
    {
        var p = tf.placeholder(tf.@bool, shape: new TensorShape(), name: "p");
        var r = tf.cond(p, () => new[] { tf.constant(1f), tf.constant(new[] { 1, 2 }) }, () => new[] { tf.constant(-1f), tf.constant(new[] { 3, 4 }) });
        using var sess = tf.Session();
        var (f, i) = sess.run((r[0], r[1]), (p, false));
        AssertValue(f!, [-1f], []);
        AssertValue(i!, [3, 4], [2]);
    }

    [Test]
    public void CondErrorsNameWhatIsWrong()
    {
        var x = tf.placeholder(tf.float32, name: "x");
        var e1 = Assert.Throws<InvalidArgumentException>(() => tf.cond(x, () => x, () => x));
        Assert.That(e1!.Message, Does.Contain("pred must be a bool scalar").And.Contain("x:0").And.Contain("float32"));

        var p = tf.placeholder(tf.@bool, shape: new TensorShape(), name: "p");
        var e2 = Assert.Throws<InvalidArgumentException>(() => tf.cond(p, () => tf.constant(1), () => tf.constant(1f)));
        Assert.That(e2!.Message, Does.Contain("same type").And.Contain("int32").And.Contain("float32"));

        Tensor? inTrue = null;
        var e3 = Assert.Throws<InvalidArgumentException>(() => tf.cond(p, () => inTrue = x * 2f, () => inTrue! + 1f));
        Assert.That(e3!.Message, Does.Contain("true branch").And.Contain("cannot be used in the false branch"));
    }

    [Test]
    public void FetchingAValueFromTheUntakenBranchIsAnError()
    {
        var p = tf.placeholder(tf.@bool, shape: new TensorShape(), name: "p");
        Tensor? inner = null;
        var y = tf.cond(p, () => inner = tf.constant(5, name: "five") * 2, () => tf.constant(0));
        using var sess = tf.Session();
        AssertValue(sess.run(inner!, (p, true)), [10], []);
        var e = Assert.Throws<InvalidArgumentException>(() => sess.run(inner!, (p, false)));
        Assert.That(e!.Message, Does.Contain(inner!.name).And.Contain("did not run"));
        AssertValue(sess.run(y, (p, false)), [0], []);
    }

    // ---------- gradients through tf.cond ----------
    [Test]
    public void GradientFlowsThroughTheTakenBranch()
    {
        var x = tf.placeholder(tf.float64, shape: new TensorShape(3), name: "x");
        var p = tf.placeholder(tf.@bool, shape: new TensorShape(), name: "p");
        var y = tf.cond(p, () => x * x * 3.0, () => tf.sin(x));
        var g = tf.gradients(y, x)[0]!;
        var xs = new[] { 0.5, -1.0, 2.0 };
        using var sess = tf.Session();
        AssertValue(sess.run(g, (x, xs), (p, true)), xs.Select(v => 6 * v).ToArray(), [3], 1e-12);
        AssertValue(sess.run(g, (x, xs), (p, false)), xs.Select(Math.Cos).ToArray(), [3], 1e-12);
        foreach (var pred in new[] { true, false })
        {
            var err = tf.test.compute_gradient_error(x, new TensorShape(3), y, new TensorShape(3), xs, 1e-6, new FeedDict { { p, pred } });
            Assert.That(err, Is.LessThan(1e-8), $"p = {pred}");
        }
    }

    [Test]
    public void AValueUnusedByTheTakenBranchGetsAZeroGradient()
    {
        var x = tf.placeholder(tf.float64, shape: new TensorShape(2), name: "x");
        var p = tf.placeholder(tf.@bool, shape: new TensorShape(), name: "p");
        var y = tf.cond(p, () => x * 2.0, () => tf.constant(new[] { 1.0, 1.0 }, tf.float64));
        var g = tf.gradients(tf.reduce_sum(y), x)[0]!;
        using var sess = tf.Session();
        AssertValue(sess.run(g, (x, new[] { 1.0, 2.0 }), (p, true)), [2.0, 2.0], [2]);
        AssertValue(sess.run(g, (x, new[] { 1.0, 2.0 }), (p, false)), [0.0, 0.0], [2]);
    }

    [Test]
    public void GradientDescentTrainsThroughACond()
    {
        // loss = (w - 3)^2 when p, else (w + 1)^2: the fed predicate decides where w goes.
        var w = tf.Variable(0f, name: "w");
        var p = tf.placeholder(tf.@bool, shape: new TensorShape(), name: "p");
        var loss = tf.cond(p, () => tf.square(w - 3f), () => tf.square(w + 1f));
        var train = tf.train.GradientDescentOptimizer(0.25f).minimize(loss);
        using var sess = tf.Session();
        sess.run(tf.global_variables_initializer());
        sess.run(train, (p, true)); // w = 0 - 0.25 * 2 * (0 - 3) = 1.5
        AssertValue(sess.run(w), [1.5f], []);
        sess.run(train, (p, false)); // w = 1.5 - 0.25 * 2 * (1.5 + 1) = 0.25
        AssertValue(sess.run(w), [0.25f], []);
    }

    // ---------- tf.while_loop ----------
    [Test]
    public void WhileLoopCountsToTen()
    {
        var i = tf.while_loop(v => v < 10, v => v + 1, tf.constant(0));
        Assert.That(i.op.type, Is.EqualTo("Exit"));
        AssertValue(Eval(i), [10], []);
        // Python's loop_vars=[i]: a one-element array in, a one-element array out.
        var one = tf.while_loop(v => v < 4, v => v * 2, [tf.constant(1)]);
        Assert.That(one, Has.Length.EqualTo(1));
        AssertValue(Eval(one[0]), [4], []);
        var e = Assert.Throws<InvalidArgumentException>(() => tf.while_loop(v => v < 4, v => v * 2, [tf.constant(1), tf.constant(2)]));
        Assert.That(e!.Message, Does.Contain("loop_vars has 2"));
    }

    [Test]
    public void WhileLoopWithSeveralVariablesComputesFibonacci()
    {
        var r = tf.while_loop(v => v[0] < 10, v => [v[0] + 1, v[2], v[1] + v[2]],
                              [tf.constant(0), tf.constant(0), tf.constant(1)]);
        using var sess = tf.Session();
        var (i, a) = sess.run((r[0], r[1]));
        AssertValue(i!, [10], []);
        AssertValue(a!, [55], []); // F(10)
    }

    [Test]
    public void WhileLoopReadsOutsideValuesInEveryIteration()
    {
        var x = tf.placeholder(tf.float32, shape: new TensorShape(2), name: "x");
        var r = tf.while_loop(v => v[0] < 5, v => [v[0] + 1, v[1] + x], [tf.constant(0), tf.zeros(new TensorShape(2))]);
        using var sess = tf.Session();
        AssertValue(sess.run(r[1], (x, new[] { 1.5f, -2f })), [7.5f, -10f], [2]);
    }

    [Test]
    public void AnAssignInALoopBodyRunsOncePerIteration()
    {
        var counter = tf.Variable(0, name: "counter");
        var i = tf.while_loop(v => v < 5, v =>
        {
            var bump = counter.assign_add(10);
            using (tf.get_default_graph().control_dependencies([bump])) return v + 1;
        }, tf.constant(0));
        using var sess = tf.Session();
        sess.run(tf.global_variables_initializer());
        AssertValue(sess.run(i), [5], []);
        AssertValue(sess.run(counter), [50], []);
        AssertValue(sess.run(i), [5], []);
        AssertValue(sess.run(counter), [100], []);
    }

    [Test]
    public void MatrixPowerInALoop()
    {
        var m = tf.constant(new long[,] { { 1, 1 }, { 1, 0 } });
        var r = tf.while_loop(v => v[0] < 9, v => [v[0] + 1, tf.matmul(v[1], m)], [tf.constant(0), m]);
        AssertValue(Eval(r[1]), [89L, 55L, 55L, 34L], [2, 2]); // M^10 holds F(11), F(10), F(9)
    }

    [Test]
    public void NestedWhileLoops()
    {
        // for i in 0..3: for j in 0..4: total += i * j  →  (0+1+2) * (0+1+2+3) = 18
        var r = tf.while_loop(o => o[0] < 3, o =>
        {
            var inner = tf.while_loop(v => v[0] < 4, v => [v[0] + 1, v[1] + o[0] * v[0]], [tf.constant(0), o[1]]);
            return [o[0] + 1, inner[1]];
        }, [tf.constant(0), tf.constant(0)]);
        AssertValue(Eval(r[1]), [18], []);
    }

    [Test]
    public void ALongLoopHoldsAFewIterationsAtATimeNotAll()
    {
        // 2,000 iterations that each make a 64K-float tensor: were every finished iteration kept to the end of the run,
        // they would hold 512 MB. The sum checks that dropping them loses no value: Σ_{i<2000} 65536·i = 65536·1999000.
        var r = tf.while_loop(v => v[0] < 2000, v =>
        {
            var big = tf.fill(new[] { 65536 }, tf.cast(v[0], tf.float64));
            return [v[0] + 1, v[1] + tf.reduce_sum(big)];
        }, [tf.constant(0), tf.constant(0.0, tf.float64)]);
        AssertValue(Eval(r[1]), [65536.0 * 1999000], []);
        Assert.That(ControlFlowExecutor.PeakLoopIterationsOfLastRun, Is.InRange(1, 4));

        // Nested: 50 outer iterations of a 40-iteration inner loop hold a few of each, and still sum correctly.
        var n = tf.while_loop(o => o[0] < 50, o =>
        {
            var inner = tf.while_loop(v => v[0] < 40, v => [v[0] + 1, v[1] + 1], [tf.constant(0), o[1]]);
            return [o[0] + 1, inner[1]];
        }, [tf.constant(0), tf.constant(0)]);
        AssertValue(Eval(n[1]), [2000], []);
        // Each outer iteration's inner loop waits for the one before it, so the counters race ahead up to the bound:
        // 10 outer iterations under way, each with up to 10 inner ones (unbounded, this held 1,974 at once).
        Assert.That(ControlFlowExecutor.PeakLoopIterationsOfLastRun, Is.InRange(11, 10 + 10 * 10), "parallel_iterations (10) of each frame");
        var two = tf.while_loop(o => o[0] < 50, o =>
        {
            var inner = tf.while_loop(v => v[0] < 40, v => [v[0] + 1, v[1] + 1], [tf.constant(0), o[1]], parallel_iterations: 2);
            return [o[0] + 1, inner[1]];
        }, [tf.constant(0), tf.constant(0)], parallel_iterations: 2);
        AssertValue(Eval(two[1]), [2000], []);
        Assert.That(ControlFlowExecutor.PeakLoopIterationsOfLastRun, Is.InRange(2, 2 + 2 * 2), "parallel_iterations = 2");
    }

    [Test]
    public void ParallelIterationsBoundsTheIterationsUnderWay()
    {
        // With parallel_iterations = 1 the iterations run strictly one after another, and the result is the same.
        foreach (var parallel in new[] { 1, 3, 10 })
        {
            var r = tf.while_loop(v => v[0] < 300, v => [v[0] + 1, v[1] + v[0] * v[0]], [tf.constant(0), tf.constant(0)],
                                  parallel_iterations: parallel);
            AssertValue(Eval(r[1]), [Enumerable.Range(0, 300).Sum(i => i * i)], []);
            Assert.That(ControlFlowExecutor.PeakLoopIterationsOfLastRun, Is.InRange(1, parallel), $"parallel_iterations = {parallel}");
        }
    }

    [Test]
    public void CondInsideAWhileLoopCountsCollatzSteps()
    {
        var n = tf.placeholder(tf.int32, shape: new TensorShape(), name: "n");
        var r = tf.while_loop(v => v[0] > 1, v =>
        {
            var next = tf.cond(tf.equal(v[0] % 2, 0), () => tf.floordiv(v[0], 2), () => v[0] * 3 + 1);
            return [next, v[1] + 1];
        }, [n, tf.constant(0)]);
        using var sess = tf.Session();
        AssertValue(sess.run(r[1], (n, 6)), [8], []);   // 6 3 10 5 16 8 4 2 1
        AssertValue(sess.run(r[1], (n, 27)), [111], []);
        AssertValue(sess.run(r[1], (n, 1)), [0], []);
    }

    [Test]
    public void AWhileLoopInsideAnUntakenBranchDoesNotRun()
    {
        var p = tf.placeholder(tf.@bool, shape: new TensorShape(), name: "p");
        var y = tf.cond(p, () => tf.while_loop(v => v < 5, v => v + 2, tf.constant(0)), () => tf.constant(-1));
        using var sess = tf.Session();
        AssertValue(sess.run(y, (p, true)), [6], []);
        AssertValue(sess.run(y, (p, false)), [-1], []);
    }

    [Test]
    public void MaximumIterationsBoundsTheLoop()
    {
        var i = tf.while_loop(v => v < 100, v => v + 1, tf.constant(0), maximum_iterations: 7);
        AssertValue(Eval(i), [7], []);
        var zero = tf.while_loop(v => v < 100, v => v + 1, tf.constant(0), maximum_iterations: 0);
        AssertValue(Eval(zero), [0], []);
    }

    [Test]
    public void WhileLoopErrorsNameWhatIsWrong()
    {
        var e1 = Assert.Throws<InvalidArgumentException>(() => tf.while_loop(v => v, v => v + 1, tf.constant(0)));
        Assert.That(e1!.Message, Does.Contain("cond must return a bool scalar").And.Contain("int32"));
        var e2 = Assert.Throws<InvalidArgumentException>(() => tf.while_loop(v => v < 3, v => tf.cast(v, tf.float32), tf.constant(0)));
        Assert.That(e2!.Message, Does.Contain("loop variable 0 enters as int32").And.Contain("float32"));
        var e3 = Assert.Throws<InvalidArgumentException>(() => tf.while_loop(v => v[0] < 3, v => [v[0] + 1], [tf.constant(0), tf.constant(1)]));
        Assert.That(e3!.Message, Does.Contain("returned 1 tensors for 2 loop variables"));
        var e4 = Assert.Throws<InvalidArgumentException>(() => tf.while_loop(v => tf.reduce_sum(v) < 10, v => tf.concat([v, v], 0), tf.constant(new[] { 1 })));
        Assert.That(e4!.Message, Does.Contain("shape (1,)").And.Contain("shape (2,) after one iteration"));
    }

    [Test]
    public void GradientsThroughWhileLoopsAreAClearError()
    {
        var x = tf.placeholder(tf.float32, shape: new TensorShape(), name: "x");
        var y = tf.while_loop(v => v < 10f, v => v * 2f, x);
        var e = Assert.Throws<NotFoundException>(() => tf.gradients(y, x));
        Assert.That(e!.Message, Does.Contain("tf.while_loop"));
    }

    // ---------- graph files ----------
    [Test]
    public void CondAndLoopGraphsSurviveAGraphDefRoundTrip()
    {
        var p = tf.placeholder(tf.@bool, shape: new TensorShape(), name: "p");
        var y = tf.cond(p, () => tf.while_loop(v => v < 20, v => v * 3, tf.constant(1)), () => tf.constant(-1));
        var def = tf.get_default_graph().as_graph_def();
        var text = def.ToText();
        Assert.That(text, Does.Contain("op: \"NextIteration\"").And.Contain("op: \"Switch\""));

        var g2 = new Graph();
        using (g2.as_default())
        {
            var r = tf.import_graph_def(GraphDef.ParseText(text), return_elements: [y.name, p.name], name: "");
            using var sess = tf.Session(g2);
            AssertValue(sess.run((Tensor)r[0], ((Tensor)r[1], true)), [27], []);
            AssertValue(sess.run((Tensor)r[0], ((Tensor)r[1], false)), [-1], []);
        }
    }

    [Test]
    public void ACycleWithoutALoopIsRejectedOnImport()
    {
        var cycle = GraphDef.ParseText("node { name: 'a' op: 'Identity' input: 'b' } node { name: 'b' op: 'Identity' input: 'a' }");
        var e = Assert.Throws<InvalidArgumentException>(() => tf.import_graph_def(cycle));
        Assert.That(e!.Message, Does.Contain("cycle").And.Contain("'a' (Identity)"));
    }

    [Test]
    public void ABodyOpThatReadsOnlyValuesFromOutsideRunsOnlyInLiveIterations()
    {
        // square(x) reads nothing but the loop constant x: it must not run in the iteration whose condition is false
        // (it fed the next iteration there, and the loop never ended). TensorFlow gives 25.
        var x = tf.constant(5f);
        var r = tf.while_loop(v => v < 10f, v => tf.square(x), tf.constant(0f));
        // A side effect on a value from outside runs once per live iteration: 5 iterations add 50, none adds 0.
        var counter = tf.Variable(0, name: "counter");
        var ten = tf.constant(10);
        Tensor Body(Tensor v)
        {
            var bump = counter.assign_add(ten);
            using (tf.control_dependencies(new object[] { bump })) return v + 1;
        }
        var five = tf.while_loop(v => v < 5, Body, tf.constant(0));
        var none = tf.while_loop(v => v < 0, Body, tf.constant(0));
        using var sess = tf.Session();
        AssertValue(sess.run(r), new[] { 25f }, []);
        sess.run(counter.initializer);
        AssertValue(sess.run(five), new[] { 5 }, []);
        AssertValue(sess.run(counter), new[] { 50 }, []);
        AssertValue(sess.run(none), new[] { 0 }, []);
        AssertValue(sess.run(counter), new[] { 50 }, []);
    }

    [Test]
    public void ALoopBuiltInsideControlDependenciesWaitsForThem()
    {
        var v = tf.Variable(0f, name: "v");
        var bump = v.assign_add(1f);
        Tensor loop;
        using (tf.control_dependencies(new object[] { bump }))
            loop = tf.while_loop(i => i < 3, i => i + 1, tf.constant(0));
        using var sess = tf.Session();
        sess.run(v.initializer);
        AssertValue(sess.run(loop), new[] { 3 }, []);
        AssertValue(sess.run(v), new[] { 1f }, [], 0);
    }

    [Test]
    public void ReadValueInsideABranchOrLoopReadsTheVariableWhenItRuns()
    {
        // As TensorFlow's RefSwitch and RefEnter: the read sees the update it is ordered after, inside the branch or
        // the iteration, not the value from before the run.
        var v = tf.Variable(0f, name: "v");
        var p = tf.placeholder(tf.@bool, shape: new TensorShape(), name: "p");
        var branch = tf.cond(p, () =>
        {
            var a = v.assign_add(1f);
            using (tf.control_dependencies(new object[] { a })) return v.read_value();
        }, () => tf.constant(-1f));
        var w = tf.Variable(0f, name: "w");
        var loop = tf.while_loop(
            vars => vars[0] < 3,
            vars =>
            {
                var a = w.assign_add(1f);
                Tensor read;
                using (tf.control_dependencies(new object[] { a })) read = w.read_value();
                return [vars[0] + 1, vars[1] + read];
            },
            new[] { tf.constant(0), tf.constant(0f) });
        using var sess = tf.Session();
        sess.run(tf.global_variables_initializer());
        AssertValue(sess.run(branch, (p, true)), new[] { 1f }, []);
        AssertValue(sess.run(v), new[] { 1f }, []);
        AssertValue(sess.run(branch, (p, false)), new[] { -1f }, []);
        AssertValue(sess.run(v), new[] { 1f }, []);
        AssertValue(sess.run(loop[1]), new[] { 6f }, []);   // 1 + 2 + 3
        AssertValue(sess.run(w), new[] { 3f }, []);
    }

    [Test]
    public void AReadBetweenTwoWritesOfOneRunKeepsWhatItRead()
    {
        var v = tf.Variable(1f, name: "v");
        var a1 = v.assign_add(1f);
        Tensor r;
        using (tf.control_dependencies(new object[] { a1 })) r = v.read_value();
        Tensor a2;
        using (tf.control_dependencies(new object[] { r })) a2 = v.assign_add(10f);
        using var sess = tf.Session();
        sess.run(v.initializer);
        var (rr, ra) = sess.run((r, a2));
        AssertValue(rr!, new[] { 2f }, []);
        AssertValue(ra!, new[] { 12f }, []);
        AssertValue(sess.run(v), new[] { 12f }, []);
    }
}

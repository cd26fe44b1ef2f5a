using System.Diagnostics;
using System.Globalization;
using DataflowNet.Io.Checkpoints;
using NUnit.Framework;
using static DataflowNet.Tests.Checkpoints.CheckpointModels;

namespace DataflowNet.Tests.Checkpoints;

/// <summary>tf.train.Saver: TensorFlow's files, graph ops and state file; restores that change all variables or none; crash safety.</summary>
public class SaverTests : GraphTest
{
    private static string TempDir() => TensorBundleTests.TempDir();

    /// <summary>This test assembly run as a child process (see Program.cs).</summary>
    private static Process StartChild(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet", [typeof(SaverTests).Assembly.Location, .. args])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["DOTNET_NOLOGO"] = "1";
        return Process.Start(psi)!;
    }

    [Test]
    public void SaveWritesATensorFlowCheckpointAndStateFile()
    {
        var dir = TempDir();
        var w = tf.Variable(new float[,] { { 1, 2, 3 }, { 4, 5, 6 } }, name: "w");
        var b = tf.Variable(7L, name: "b");
        var saver = tf.train.Saver();
        using var sess = tf.Session();
        sess.run(tf.global_variables_initializer());

        var prefix = saver.save(sess, Path.Combine(dir, "model"), global_step: 50);
        Assert.That(prefix, Is.EqualTo(Path.Combine(dir, "model-50")));
        Assert.That(Directory.GetFiles(dir).Select(Path.GetFileName).Order(),
                    Is.EqualTo(new[] { "checkpoint", "model-50.data-00000-of-00001", "model-50.index", "model-50.meta" }));
        var state = File.ReadAllText(Path.Combine(dir, "checkpoint"));
        Assert.That(state, Does.StartWith("model_checkpoint_path: \"model-50\"\nall_model_checkpoint_paths: \"model-50\"\n"));
        Assert.That(state, Does.Match(@"\nall_model_checkpoint_timestamps: \d{10}(\.\d+)?\nlast_preserved_timestamp: \d{10}(\.\d+)?\n$"));
        Assert.That(tf.train.latest_checkpoint(dir), Is.EqualTo(prefix));

        // Keyed by op name; the values read back.
        Assert.That(tf.train.list_variables(dir).Select(v => (v.name, v.shape)), Is.EqualTo(new[] { ("b", Array.Empty<int>()), ("w", new[] { 2, 3 }) }));
        Assert.That(tf.train.load_variable(prefix, "w:0").ToArray<float>(), Is.EqualTo(new float[] { 1, 2, 3, 4, 5, 6 }));
        Assert.That((long)tf.train.load_variable(dir, "b"), Is.EqualTo(7L));

        // The graph holds TensorFlow's saver ops.
        var g = tf.get_default_graph();
        Assert.That(saver.filename_tensor.name, Is.EqualTo("save/Const:0"));
        Assert.That(saver.save_tensor.name, Is.EqualTo("save/control_dependency:0"));
        Assert.That(saver.restore_op.name, Is.EqualTo("save/restore_all"));
        var save = g.get_operation_by_name("save/SaveV2");
        Assert.That(save.inputs.Select(t => t.name), Is.EqualTo(new[] { "save/Const:0", "save/SaveV2/tensor_names:0", "save/SaveV2/shape_and_slices:0", "b:0", "w:0" }));
        Assert.That(save.get_attr<DataType[]>("dtypes"), Is.EqualTo(new[] { DataType.Int64, DataType.Float32 }));
        Assert.That(g.get_operation_by_name("save/RestoreV2").outputs.Select(t => t.dtype), Is.EqualTo(new[] { DataType.Int64, DataType.Float32 }));
        Assert.That(g.get_operation_by_name("save/Assign_1").inputs.Select(t => t.name), Is.EqualTo(new[] { "w:0", "save/RestoreV2:1" }));
        Assert.That(g.get_operation_by_name("save/filename").type, Is.EqualTo("PlaceholderWithDefault"));
        // The graph beside it, with the SaverDef naming those ops, as TensorFlow writes model-50.meta.
        var meta = Io.Proto.MetaGraphDef.Parser.ParseFrom(File.ReadAllBytes(prefix + ".meta"));
        Assert.That(meta.SaverDef.ToString(), Is.EqualTo(saver.as_saver_def().ToString()));
        Assert.That((meta.SaverDef.FilenameTensorName, meta.SaverDef.SaveTensorName, meta.SaverDef.RestoreOpName, meta.SaverDef.MaxToKeep, meta.SaverDef.Version),
                    Is.EqualTo(("save/Const:0", "save/control_dependency:0", "save/restore_all", 5, Io.Proto.SaverDef.Types.CheckpointFormatVersion.V2)));
        Assert.That(meta.GraphDef.Node.Select(n => n.Name), Does.Contain("save/SaveV2").And.Contain("save/restore_all"));
        var def = g.as_graph_def();
        Assert.That(def.Node.Single(n => n.Name == "save/SaveV2").Attr["dtypes"].List.Type,
                    Is.EqualTo(new[] { Io.Proto.DataType.DtInt64, Io.Proto.DataType.DtFloat }));
    }

    [Test]
    public void GlobalStepMayBeAVariableAndRelativePathsCanBeTurnedOff()
    {
        var dir = TempDir();
        var step = tf.train.get_or_create_global_step();
        var increment = step.assign_add(41L);
        var saver = tf.train.Saver(save_relative_paths: false);
        using var sess = tf.Session();
        sess.run(tf.global_variables_initializer());
        sess.run(increment);
        var prefix = saver.save(sess, Path.Combine(dir, "ckpt"), global_step: step, write_meta_graph: false);
        Assert.That(prefix, Is.EqualTo(Path.Combine(dir, "ckpt-41")));
        Assert.That(File.Exists(prefix + ".index") && !File.Exists(prefix + ".meta"), Is.True, "no .meta without write_meta_graph");
        Assert.That(File.ReadAllText(Path.Combine(dir, "checkpoint")), Does.StartWith($"model_checkpoint_path: \"{prefix}\"\n"));
        Assert.That(tf.train.get_checkpoint_state(dir)!.AllModelCheckpointPaths, Is.EqualTo(new[] { prefix }));

        var bad = Assert.Throws<InvalidArgumentException>(() => saver.save(sess, Path.Combine(dir, "ckpt"), global_step: 1.5));
        Assert.That(bad!.Message, Is.EqualTo("global_step must be an int, a long or an integer Tensor, got Double."));
    }

    [Test]
    public void ARelativeSaveDirectoryWithRelativePathsOffStillFindsTheLatestCheckpoint()
    {
        // TensorFlow 1's default (save_relative_paths=False) with a relative path: the state file must not name
        // "ckpt/model-1" inside ckpt/, or latest_checkpoint("ckpt") would look for ckpt/ckpt/model-1.
        var root = TempDir();
        var cwd = Environment.CurrentDirectory;
        try
        {
            Environment.CurrentDirectory = root;
            var v = tf.Variable(new[] { 3f }, name: "v");
            var saver = tf.train.Saver(save_relative_paths: false);
            using var sess = tf.Session();
            sess.run(tf.global_variables_initializer());
            Directory.CreateDirectory("ckpt");
            Assert.That(saver.save(sess, Path.Combine("ckpt", "model"), global_step: 1, write_meta_graph: false), Is.EqualTo(Path.Combine("ckpt", "model-1")));
            Assert.That(File.ReadAllText(Path.Combine("ckpt", "checkpoint")), Does.StartWith("model_checkpoint_path: \"model-1\"\n"));
            Assert.That(tf.train.latest_checkpoint("ckpt"), Is.EqualTo(Path.Combine("ckpt", "model-1")));
        }
        finally { Environment.CurrentDirectory = cwd; }
    }

    [Test]
    public void AGraphFileWithASaverSavesAndRestoresAfterImport()
    {
        var dir = TempDir();
        tf.Variable(new float[] { 1, 2 }, name: "w");
        tf.train.Saver();
        var def = tf.get_default_graph().as_graph_def();
        Assert.That(def.Node.Select(n => n.Name), Is.SupersetOf(new[] { "save/Const", "save/SaveV2", "save/control_dependency", "save/RestoreV2", "save/Assign", "save/restore_all" }));

        tf.reset_default_graph();
        tf.import_graph_def(def);
        var g = tf.get_default_graph();
        var prefix = Path.Combine(dir, "imported");
        var filename = g.get_tensor_by_name("import/save/Const:0");
        using var sess = tf.Session();
        sess.run(g.get_operation_by_name("import/w/Assign"));
        var written = sess.run(g.get_tensor_by_name("import/save/control_dependency:0"), (filename, prefix));
        Assert.That((string)written, Is.EqualTo(prefix));
        Assert.That(tf.train.load_variable(prefix, "w").ToArray<float>(), Is.EqualTo(new float[] { 1, 2 }), "keyed by the name the saver was built with");

        var w = g.get_tensor_by_name("import/w:0");
        var init = g.get_operation_by_name("import/w/Assign");
        sess.run(init, (init.inputs[1], new float[] { 5, 6 }));
        Assert.That(sess.run(w).ToArray<float>(), Is.EqualTo(new float[] { 5, 6 }));
        sess.run(g.get_operation_by_name("import/save/restore_all"), (filename, prefix));
        Assert.That(sess.run(w).ToArray<float>(), Is.EqualTo(new float[] { 1, 2 }));
    }

    [Test]
    public void TheMetaFileBesideACheckpointRestoresItIntoAFreshGraph()
    {
        var dir = TempDir();
        tf.Variable(new float[] { 1, 2, 3 }, name: "w");
        var saver = tf.train.Saver();
        string prefix;
        using (var sess = tf.Session())
        {
            sess.run(tf.global_variables_initializer());
            prefix = saver.save(sess, Path.Combine(dir, "model"), global_step: 3);
        }

        tf.reset_default_graph();
        var meta = Io.MetaGraph.Read(prefix + ".meta");
        var g = tf.get_default_graph();
        Io.MetaGraph.Import(g, meta, null);
        Assert.That(tf.global_variables().Select(v => v.name), Is.EqualTo(new[] { "w:0" }));
        using var restored = tf.Session();
        // What TensorFlow's import_meta_graph + restore run: the SaverDef's restore op, fed the prefix.
        restored.run(g.get_operation_by_name(meta.SaverDef.RestoreOpName), (g.get_tensor_by_name(meta.SaverDef.FilenameTensorName), prefix));
        Assert.That(restored.run(g.get_tensor_by_name("w:0")).ToArray<float>(), Is.EqualTo(new float[] { 1, 2, 3 }));
    }

    [Test]
    public void MaxToKeepDeletesTheOldestCheckpoints()
    {
        var dir = TempDir();
        var v = tf.Variable(0f, name: "v");
        var saver = tf.train.Saver(max_to_keep: 2);
        using var sess = tf.Session();
        sess.run(tf.global_variables_initializer());
        for (int i = 1; i <= 4; i++) saver.save(sess, Path.Combine(dir, "model"), global_step: i * 10);
        Assert.That(Directory.GetFiles(dir).Select(Path.GetFileName).Order(), Is.EqualTo(new[]
        {
            "checkpoint", "model-30.data-00000-of-00001", "model-30.index", "model-30.meta", "model-40.data-00000-of-00001", "model-40.index", "model-40.meta",
        }));
        Assert.That(saver.last_checkpoints, Is.EqualTo(new[] { Path.Combine(dir, "model-30"), Path.Combine(dir, "model-40") }));
        Assert.That(File.ReadAllText(Path.Combine(dir, "checkpoint")),
                    Does.StartWith("model_checkpoint_path: \"model-40\"\nall_model_checkpoint_paths: \"model-30\"\nall_model_checkpoint_paths: \"model-40\"\n"));

        // Saving an existing name again moves it to the end of the list.
        saver.save(sess, Path.Combine(dir, "model"), global_step: 30);
        Assert.That(tf.train.get_checkpoint_state(dir)!.AllModelCheckpointPaths, Is.EqualTo(new[] { Path.Combine(dir, "model-40"), Path.Combine(dir, "model-30") }));
        Assert.That(tf.train.latest_checkpoint(dir), Is.EqualTo(Path.Combine(dir, "model-30")));
    }

    [Test]
    public void KeepCheckpointEveryNHoursPreservesOneCheckpointPerPeriod()
    {
        var dir = TempDir();
        tf.Variable(0f, name: "v");
        var saver = tf.train.Saver(max_to_keep: 1, keep_checkpoint_every_n_hours: 1);
        double now = 0;
        saver.UseClock(() => now);
        using var sess = tf.Session();
        sess.run(tf.global_variables_initializer());
        foreach (var (step, time) in new[] { (1, 100.0), (2, 2000.0), (3, 4000.0), (4, 5000.0), (5, 8000.0) })
        {
            now = time;
            saver.save(sess, Path.Combine(dir, "model"), global_step: step);
        }
        // As TensorFlow: a checkpoint pushed out of max_to_keep survives when it was written after the period's end
        // (model-3 at 4000 s, past 3600 s), and the next period starts there.
        Assert.That(Directory.GetFiles(dir, "*.index").Select(Path.GetFileName).Order(), Is.EqualTo(new[] { "model-3.index", "model-5.index" }));
        Assert.That(File.ReadAllText(Path.Combine(dir, "checkpoint")), Does.Contain("all_model_checkpoint_timestamps: 8000\nlast_preserved_timestamp: 3600\n"));
    }

    [Test]
    public void LatestCheckpointIsNullWithoutAStateFileOrWhenItsCheckpointIsGone()
    {
        var dir = TempDir();
        Assert.That(tf.train.latest_checkpoint(dir), Is.Null);
        Assert.That(tf.train.latest_checkpoint(Path.Combine(dir, "missing")), Is.Null);
        File.WriteAllText(Path.Combine(dir, "checkpoint"), "model_checkpoint_path: \"model-3\"\n");
        Assert.That(tf.train.latest_checkpoint(dir), Is.Null, "model-3.index does not exist");
        var e = Assert.Throws<NotFoundException>(() => tf.train.list_variables(dir));
        Assert.That(e!.Message, Is.EqualTo($"Couldn't find 'checkpoint' file or checkpoints in given directory {dir}"));
    }

    [Test]
    public void RestoredVariablesGiveBitIdenticalOutputsInANewSessionAndANewProcess()
    {
        var dir = TempDir();
        var (x, target, y, train) = Regression();
        var saver = tf.train.Saver();
        string prefix, outputBits, nextBits;
        using (var sess = tf.Session())
        {
            sess.run(tf.global_variables_initializer());
            for (int i = 0; i < 5; i++) sess.run(train, (x, Inputs), (target, Targets));
            prefix = saver.save(sess, Path.Combine(dir, "model"), global_step: tf.train.get_global_step());
            outputBits = Bits(sess.run(y, (x, Inputs)));
            sess.run(train, (x, Inputs), (target, Targets));
            nextBits = Bits(sess.run(y, (x, Inputs)));
        }
        Assert.That(prefix, Is.EqualTo(Path.Combine(dir, "model-5")));
        Assert.That(tf.train.list_variables(prefix).Select(v => v.name), Does.Contain("W1/Adam").And.Contain("beta1_power").And.Contain("global_step"));

        using (var fresh = tf.Session())
        {
            saver.restore(fresh, prefix);
            Assert.That(Bits(fresh.run(y, (x, Inputs))), Is.EqualTo(outputBits));
            fresh.run(train, (x, Inputs), (target, Targets));
            Assert.That(Bits(fresh.run(y, (x, Inputs))), Is.EqualTo(nextBits), "Adam's slots and powers were restored too");
            Assert.That((long)fresh.run(tf.train.get_global_step()!), Is.EqualTo(6L));
        }

        using var child = StartChild("restore-eval", prefix);
        var stdout = child.StandardOutput.ReadToEndAsync();
        var stderr = child.StandardError.ReadToEndAsync();
        Assert.That(child.WaitForExit(60_000), Is.True, "the restoring process finishes");
        Assert.That(child.ExitCode, Is.EqualTo(0), stderr.Result);
        Assert.That(stdout.Result, Does.Contain($"output {outputBits}\n").And.Contain($"next {nextBits}\n"));
    }

    [Test]
    public void RestoreOfAMissingKeyIsNotFoundAndChangesNoVariable()
    {
        var dir = TempDir();
        var a = tf.Variable(1f, name: "a");
        string prefix;
        using (var sess = tf.Session())
        {
            sess.run(tf.global_variables_initializer());
            prefix = tf.train.Saver().save(sess, Path.Combine(dir, "model"));
        }
        Assert.That(prefix, Is.EqualTo(Path.Combine(dir, "model")));

        tf.reset_default_graph();
        var a2 = tf.Variable(10f, name: "a");
        var c = tf.Variable(20f, name: "c");
        var saver = tf.train.Saver();
        using var s2 = tf.Session();
        s2.run(tf.global_variables_initializer());
        var e = Assert.Throws<NotFoundException>(() => saver.restore(s2, prefix));
        Assert.That(e!.Message, Is.EqualTo($"Key c not found in checkpoint {prefix} (needed to restore variable c:0)."));
        Assert.That((float)s2.run(a2), Is.EqualTo(10f));

        // The restore op itself, run directly, fails the same way and commits nothing.
        var direct = Assert.Throws<NotFoundException>(() => s2.run(saver.restore_op, (saver.filename_tensor, prefix)));
        Assert.That(direct!.Message, Does.StartWith($"Key c not found in checkpoint {prefix}"));
        Assert.That(((float)s2.run(a2), (float)s2.run(c)), Is.EqualTo((10f, 20f)));
    }

    [Test]
    public void RestoreWithADifferentShapeOrDtypeIsInvalidArgument()
    {
        var dir = TempDir();
        tf.Variable(new float[] { 1, 2, 3 }, name: "w");
        tf.Variable(5, name: "n");
        string prefix;
        using (var sess = tf.Session())
        {
            sess.run(tf.global_variables_initializer());
            prefix = tf.train.Saver().save(sess, Path.Combine(dir, "model"));
        }

        tf.reset_default_graph();
        var w = tf.Variable(new float[,] { { 1, 2, 3 } }, name: "w");
        var saver = tf.train.Saver(new[] { w });
        using (var s = tf.Session())
        {
            s.run(tf.global_variables_initializer());
            var e = Assert.Throws<InvalidArgumentException>(() => saver.restore(s, prefix));
            Assert.That(e!.Message, Is.EqualTo($"Cannot restore variable w:0 from checkpoint {prefix}: the variable expects dtype float32 and shape (1, 3), " +
                                               "the checkpoint gives 'w' as dtype float32 with shape (3,)."));
            Assert.That(s.run(w).ToArray<float>(), Is.EqualTo(new float[] { 1, 2, 3 }));
        }

        tf.reset_default_graph();
        var n = tf.Variable(5L, name: "n");
        var saver2 = tf.train.Saver(new[] { n });
        using (var s = tf.Session())
        {
            s.run(tf.global_variables_initializer());
            var e = Assert.Throws<InvalidArgumentException>(() => saver2.restore(s, prefix));
            Assert.That(e!.Message, Is.EqualTo($"Cannot restore variable n:0 from checkpoint {prefix}: the variable expects dtype int64 and shape (), " +
                                               "the checkpoint gives 'n' as dtype int32 with shape ()."));
            var direct = Assert.Throws<InvalidArgumentException>(() => s.run(saver2.restore_op, (saver2.filename_tensor, prefix)));
            Assert.That(direct!.Message, Does.StartWith($"tensor_name = n; expected dtype int64 does not equal original dtype int32 in checkpoint {prefix}"));
        }
    }

    [Test]
    public void RestoreFromACorruptedCheckpointIsDataLossAndChangesNoVariable()
    {
        var dir = TempDir();
        var a = tf.Variable(new float[] { 1, 2 }, name: "a");
        var z = tf.Variable(new float[] { 3, 4 }, name: "z");
        var saver = tf.train.Saver();
        using var sess = tf.Session();
        sess.run(tf.global_variables_initializer());
        var prefix = saver.save(sess, Path.Combine(dir, "model"));
        sess.run(tf.group(a.assign(new float[] { 10, 20 }), z.assign(new float[] { 30, 40 })));

        // The data file holds a then z (sorted by name); corrupt z, the second.
        var dataPath = prefix + ".data-00000-of-00001";
        var bytes = File.ReadAllBytes(dataPath);
        bytes[12] ^= 0xff;
        File.WriteAllBytes(dataPath, bytes);
        var e = Assert.Throws<DataLossException>(() => saver.restore(sess, prefix));
        Assert.That(e!.Message, Does.StartWith($"Checksum does not match for tensor 'z' in {dataPath}"));
        Assert.That(sess.run(a).ToArray<float>(), Is.EqualTo(new float[] { 10, 20 }), "a was read before the failure, but not assigned");
        Assert.That(sess.run(z).ToArray<float>(), Is.EqualTo(new float[] { 30, 40 }));
    }

    [Test]
    public void SaverArgumentErrors()
    {
        var e = Assert.Throws<InvalidArgumentException>(() => tf.train.Saver());
        Assert.That(e!.Message, Is.EqualTo("No variables to save."));

        var v = tf.Variable(1f, name: "v");
        var twice = Assert.Throws<InvalidArgumentException>(() => tf.train.Saver(new[] { v, v }));
        Assert.That(twice!.Message, Is.EqualTo("At least two variables have the same name: v (v:0, v:0)."));

        var saver = tf.train.Saver(new Dictionary<string, Variable> { ["renamed/v"] = v });
        using var sess = tf.Session();
        var uninitialized = Assert.Throws<FailedPreconditionException>(() => saver.save(sess, Path.Combine(TempDir(), "m")));
        Assert.That(uninitialized!.Message, Does.StartWith("Attempting to use uninitialized value v"));

        sess.run(tf.global_variables_initializer());
        var noDir = Path.Combine(TempDir(), "no", "model");
        var missing = Assert.Throws<NotFoundException>(() => saver.save(sess, noDir));
        Assert.That(missing!.Message, Is.EqualTo($"Parent directory of {noDir} doesn't exist, can't save."));
        var notCheckpoint = Assert.Throws<NotFoundException>(() => saver.restore(sess, noDir));
        Assert.That(notCheckpoint!.Message, Is.EqualTo($"The passed save_path is not a valid checkpoint: {noDir}"));

        var dir = TempDir();
        var prefix = saver.save(sess, Path.Combine(dir, "m"));
        Assert.That(tf.train.list_variables(prefix).Select(x => x.name), Is.EqualTo(new[] { "renamed/v" }));
    }

    [Test]
    public void KillingAProcessWhileItSavesLeavesTheLatestCheckpointRestorable()
    {
        var dir = TempDir();
        var random = new Random(20261126);
        long first = 1;
        var leftovers = 0;
        for (int round = 0; round < 5; round++)
        {
            long lastPrinted;
            using (var child = StartChild("save-loop", dir, first.ToString(CultureInfo.InvariantCulture)))
            {
                var stderr = child.StandardError.ReadToEndAsync();
                lastPrinted = first - 1;
                while (lastPrinted < first + 2) // at least three saves, then a kill at a random moment
                {
                    var line = child.StandardOutput.ReadLineAsync();
                    if (!line.Wait(30_000)) { child.Kill(true); Assert.Fail("the saving process printed nothing for 30 s"); }
                    if (line.Result is null) Assert.Fail($"the saving process exited: {stderr.Result}");
                    lastPrinted = long.Parse(line.Result!["saved ".Length..], CultureInfo.InvariantCulture);
                }
                Thread.Sleep(random.Next(0, 25));
                child.Kill(entireProcessTree: true);
                child.WaitForExit();
                // The lines it printed before dying: the last is the last save it completed.
                foreach (var rest in child.StandardOutput.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries))
                    lastPrinted = long.Parse(rest["saved ".Length..], CultureInfo.InvariantCulture);
            }

            var latest = tf.train.latest_checkpoint(dir);
            Assert.That(latest, Is.Not.Null, $"round {round}");
            var step = long.Parse(latest![(latest!.LastIndexOf('-') + 1)..], CultureInfo.InvariantCulture);
            Assert.That(step, Is.InRange(lastPrinted, lastPrinted + 1), "the state file names the last save that completed");

            tf.reset_default_graph();
            var (big, stepVar, _, _) = Counter();
            var saver = tf.train.Saver();
            using (var sess = tf.Session())
            {
                saver.restore(sess, latest);
                Assert.That((long)sess.run(stepVar), Is.EqualTo(step));
                Assert.That(sess.run(big).ToArray<float>().All(v => v == step), Is.True, "every weight of the latest checkpoint");
            }
            // Every checkpoint whose index is in place is complete: each tensor reads with its checksum.
            foreach (var index in Directory.GetFiles(dir, "*.index"))
            {
                var reader = new BundleReader(index[..^".index".Length]);
                foreach (var key in reader.Keys) reader.Read(key);
            }
            leftovers += Directory.GetFiles(dir, "*.tempstate*").Length;
            first = lastPrinted + 100;
        }
        TestContext.Out.WriteLine($"temporary files left by killed saves: {leftovers}");
    }
}

import { describe, expect, it } from 'vitest';
import { classifyGlobal, mapPython2Name, type GlobalRisk, type PickleFamily } from './globals.js';

const risk = (m: string, n: string, f: PickleFamily = 'generic'): GlobalRisk => classifyGlobal(m, n, f).risk;

describe('classifyGlobal', () => {
  it('allows what ordinary files of each family need', () => {
    for (const [m, n] of [
      ['torch._utils', '_rebuild_tensor_v2'],
      ['torch._utils', '_rebuild_parameter'],
      ['torch._utils', '_rebuild_tensor'],
      ['torch', 'FloatStorage'],
      ['torch', 'BFloat16Storage'],
      ['torch.serialization', '_get_layout'],
      ['torch', 'device'],
      ['torch', 'Size'],
      ['torch', 'float16'],
      ['torch', 'bfloat16'],
      ['torch._tensor', '_rebuild_from_type_v2'],
      ['torch.nn.parameter', 'Parameter'],
      ['collections', 'OrderedDict'],
      ['numpy.core.multiarray', '_reconstruct'],
      ['numpy', 'dtype'],
    ]) {
      expect(risk(m as string, n as string, 'pytorch'), `${m}.${n}`).toBe('allowed');
    }
    for (const [m, n] of [
      ['numpy.core.multiarray', '_reconstruct'],
      ['numpy._core.multiarray', '_reconstruct'],
      ['numpy', 'ndarray'],
      ['numpy.core.multiarray', 'scalar'],
      ['numpy._core.numeric', '_frombuffer'],
    ]) {
      expect(risk(m as string, n as string, 'numpy'), `${m}.${n}`).toBe('allowed');
    }
    expect(risk('joblib.numpy_pickle', 'NumpyArrayWrapper', 'joblib')).toBe('allowed');
    expect(risk('sklearn.linear_model._logistic', 'LogisticRegression', 'joblib')).toBe('allowed');
    expect(risk('sklearn.tree._tree', 'Tree', 'joblib')).toBe('allowed');
    // scipy.sparse matrices (TfidfVectorizer output, sparse coefficients): the classes by name, not other lowercase names.
    expect(risk('scipy.sparse._csr', 'csr_matrix', 'joblib')).toBe('allowed');
    expect(risk('scipy.sparse.coo', 'coo_array', 'joblib')).toBe('allowed');
    expect(risk('scipy.sparse._matrix_io', 'load_npz', 'joblib')).not.toBe('allowed');
    expect(risk('scipy.sparse._csr', 'csr_matrix', 'generic')).toBe('medium');
    expect(risk('sklearn.neighbors._kd_tree', 'newObj', 'joblib')).toBe('allowed');
    expect(risk('numpy', 'log1p', 'joblib')).toBe('allowed');
  });

  it('keeps allow-lists per family', () => {
    expect(risk('torch._utils', '_rebuild_tensor_v2', 'generic')).toBe('medium');
    expect(risk('sklearn.linear_model._logistic', 'LogisticRegression', 'pytorch')).toBe('medium');
    // torch.load answers any "...Storage" name with a StorageType, importing nothing.
    expect(risk('anything.at.all', 'HalfStorage', 'pytorch')).toBe('allowed');
    expect(risk('anything.at.all', 'HalfStorage', 'generic')).toBe('medium');
  });

  it('does not allow scikit-learn functions, dunders or gadget names re-exported by sklearn modules', () => {
    expect(risk('sklearn.utils._testing', 'check_output', 'joblib')).toBe('critical');
    expect(risk('sklearn.utils', 'Popen', 'joblib')).toBe('critical');
    expect(risk('sklearn.metrics', 'make_scorer', 'joblib')).toBe('medium');
    expect(risk('sklearn.base', 'BaseEstimator.__init__.__globals__', 'joblib')).toBe('critical');
  });

  it('marks code-execution gadgets critical', () => {
    const critical: [string, string][] = [
      ['os', 'system'],
      ['posix', 'system'],
      ['nt', 'system'],
      ['subprocess', 'Popen'],
      ['subprocess', 'check_output'],
      ['builtins', 'eval'],
      ['builtins', 'exec'],
      ['builtins', 'compile'],
      ['builtins', '__import__'],
      ['builtins', 'getattr'],
      ['builtins', 'open'],
      ['builtins', 'setattr'],
      ['builtins', 'breakpoint'],
      ['__builtin__', 'eval'],
      ['runpy', '_run_code'],
      ['importlib', 'import_module'],
      ['importlib.machinery', 'SourceFileLoader'],
      ['pickle', 'loads'],
      ['_pickle', 'loads'],
      ['marshal', 'loads'],
      ['socket', 'socket'],
      ['shutil', 'rmtree'],
      ['webbrowser', 'open'],
      ['pty', 'spawn'],
      ['operator', 'attrgetter'],
      ['operator', 'methodcaller'],
      ['_operator', 'attrgetter'],
      ['torch', 'load'],
      ['torch.serialization', 'load'],
      ['torch.hub', 'load'],
      ['torch.jit.unsupported_tensor_ops', 'execWrapper'],
      ['torch._inductor.codecache', 'compile_file'],
      ['torch.utils.collect_env', 'run'],
      ['numpy.testing._private.utils', 'runstring'],
      ['numpy.f2py.crackfortran', 'getlincoef'],
      ['numpy', 'load'],
      ['pydoc', 'locate'],
      ['code', 'InteractiveInterpreter'],
      ['timeit', 'timeit'],
      ['cProfile', 'run'],
      ['pdb', 'run'],
      ['bdb', 'Bdb'],
      ['asyncio', 'create_subprocess_exec'],
      ['asyncio.subprocess', 'create_subprocess_shell'],
      ['ctypes', 'CDLL'],
      ['_posixsubprocess', 'fork_exec'],
      ['multiprocessing', 'Process'],
      ['builtins', 'globals'],
      ['builtins', 'locals'],
      ['builtins', 'vars'],
      ['builtins', 'delattr'],
      ['builtins', 'apply'],
      ['sys', 'modules'],
      ['pkgutil', 'resolve_name'],
      ['types', 'CodeType'],
      ['types', 'FunctionType'],
      ['copyreg', 'add_extension'],
      ['dill._dill', '_create_function'],
      ['cloudpickle.cloudpickle', '_make_function'],
      ['mymodule', 'system'],
    ];
    for (const [m, n] of critical) expect(risk(m, n), `${m}.${n}`).toBe('critical');
  });

  it('treats dotted names as the attribute walk they are', () => {
    expect(risk('posixpath', 'os.system')).toBe('critical');
    expect(risk('collections', '_sys.modules')).toBe('critical');
    expect(risk('collections', '_sys.modules.get')).toBe('critical');
    expect(risk('numpy', '__builtins__')).toBe('critical');
    expect(risk('numpy', 'core._internal.sys.modules')).toBe('critical');
    expect(risk('torch', 'serialization.load')).toBe('critical');
    expect(risk('collections', 'OrderedDict.__init__.__globals__')).toBe('critical');
    expect(risk('collections', 'OrderedDict.fromkeys')).toBe('medium');
    expect(classifyGlobal('posixpath', 'os.system', 'generic').reason).toMatch(/^posixpath\.os\.system runs a shell command/);
  });

  it('rates file, thread and registry access high, the rest medium', () => {
    expect(risk('pathlib', 'Path')).toBe('allowed');
    expect(risk('pathlib', 'Path.write_text')).toBe('high');
    expect(risk('threading', 'Thread')).toBe('high');
    expect(risk('operator', 'itemgetter')).toBe('high');
    expect(risk('json', 'loads')).toBe('high');
    expect(risk('mylab.models', 'Net')).toBe('medium');
    expect(risk('functools', 'partial')).toBe('medium');
  });
});

describe('mapPython2Name', () => {
  it('maps Python 2 names like CPython does for protocols below 3', () => {
    expect(mapPython2Name('__builtin__', 'eval', 2)).toEqual({ module: 'builtins', name: 'eval' });
    expect(mapPython2Name('__builtin__', 'reduce', 0)).toEqual({ module: 'functools', name: 'reduce' });
    expect(mapPython2Name('commands', 'getoutput', 1)).toEqual({ module: 'subprocess', name: 'getoutput' });
    expect(mapPython2Name('exceptions', 'ValueError', 2)).toEqual({ module: 'builtins', name: 'ValueError' });
    expect(mapPython2Name('copy_reg', '_reconstructor', 2)).toEqual({ module: 'copyreg', name: '_reconstructor' });
    expect(mapPython2Name('__builtin__', 'eval', 3)).toEqual({ module: '__builtin__', name: 'eval' });
  });
});

/**
 * What a pickle may import. Allow-lists per file family decide what passes; a deny-list of known
 * code-execution gadgets decides how bad everything else is:
 *
 * - `allowed`: a global ordinary files of the family need (tensor rebuild functions, storages,
 *   `collections.OrderedDict`, numpy reconstruct/dtype/ndarray, scikit-learn estimator classes…).
 * - `critical`: runs code, spawns processes, imports arbitrary modules, loads another payload,
 *   reaches the network or the file system, or walks to such an object through a dotted name.
 * - `high`: dangerous without being a direct code-execution gadget (loads files, opens threads…).
 * - `medium`: anything else. Not known to be bad, but not something the family needs: review.
 *
 * Module names are matched exactly or by package prefix (`asyncio.subprocess` is under
 * `asyncio`), never by substring. Dotted names (protocol 4 attribute traversal, e.g. `os` +
 * `path.os.system`) are classified as the walk they are, not as a single name.
 */

/**
 * Which allow-list applies. 'torchscript': the pickles of a TorchScript archive (torch.jit.save),
 * which torch.jit.load reads with its own C++ unpickler: `__torch__.*` names are classes compiled
 * from the archive's code/ (reviewed as TorchScript), never Python imports. 'tensor-pickle': a
 * plain pickle of tensors (pickle.dumps), read by pickle.load, not torch.load: the PyTorch
 * allow-list, but none of torch.load's own name resolution.
 */
export type PickleFamily = 'generic' | 'pytorch' | 'torchscript' | 'tensor-pickle' | 'numpy' | 'joblib';
export type GlobalRisk = 'allowed' | 'critical' | 'high' | 'medium';

export interface GlobalClass {
  risk: GlobalRisk;
  /** Why, in a few words a reviewer understands: "runs a shell command". */
  reason: string;
}

// ---------------------------------------------------------------------------------------------
// Python 2 names: CPython maps them when the stream's protocol is below 3 (fix_imports, default on).

const IMPORT_MAPPING: Record<string, string> = {
  __builtin__: 'builtins', copy_reg: 'copyreg', Queue: 'queue', SocketServer: 'socketserver', ConfigParser: 'configparser',
  repr: 'reprlib', tkFileDialog: 'tkinter.filedialog', tkSimpleDialog: 'tkinter.simpledialog', tkColorChooser: 'tkinter.colorchooser',
  tkCommonDialog: 'tkinter.commondialog', Dialog: 'tkinter.dialog', Tkdnd: 'tkinter.dnd', tkFont: 'tkinter.font',
  tkMessageBox: 'tkinter.messagebox', ScrolledText: 'tkinter.scrolledtext', Tkconstants: 'tkinter.constants', Tix: 'tkinter.tix',
  ttk: 'tkinter.ttk', Tkinter: 'tkinter', markupbase: '_markupbase', _winreg: 'winreg', thread: '_thread', dummy_thread: '_dummy_thread',
  dbhash: 'dbm.bsd', dumbdbm: 'dbm.dumb', dbm: 'dbm.ndbm', gdbm: 'dbm.gnu', xmlrpclib: 'xmlrpc.client', SimpleXMLRPCServer: 'xmlrpc.server',
  httplib: 'http.client', htmlentitydefs: 'html.entities', HTMLParser: 'html.parser', Cookie: 'http.cookies', cookielib: 'http.cookiejar',
  BaseHTTPServer: 'http.server', 'test.test_support': 'test.support', commands: 'subprocess', urlparse: 'urllib.parse',
  robotparser: 'urllib.robotparser', urllib2: 'urllib.request', anydbm: 'dbm', _abcoll: 'collections.abc', cPickle: 'pickle',
  _elementtree: 'xml.etree.ElementTree', FileDialog: 'tkinter.filedialog', SimpleDialog: 'tkinter.simpledialog',
  DocXMLRPCServer: 'xmlrpc.server', SimpleHTTPServer: 'http.server', CGIHTTPServer: 'http.server', UserDict: 'collections',
  UserList: 'collections', UserString: 'collections', whichdb: 'dbm', StringIO: 'io', cStringIO: 'io',
};

const NAME_MAPPING: Record<string, string> = {
  '__builtin__.xrange': 'builtins.range', '__builtin__.reduce': 'functools.reduce', '__builtin__.intern': 'sys.intern',
  '__builtin__.unichr': 'builtins.chr', '__builtin__.unicode': 'builtins.str', '__builtin__.long': 'builtins.int',
  '__builtin__.basestring': 'builtins.str', 'itertools.izip': 'builtins.zip', 'itertools.imap': 'builtins.map',
  'itertools.ifilter': 'builtins.filter', 'itertools.ifilterfalse': 'itertools.filterfalse', 'itertools.izip_longest': 'itertools.zip_longest',
  'UserDict.IterableUserDict': 'collections.UserDict', 'UserDict.UserDict': 'collections.UserDict', 'UserList.UserList': 'collections.UserList',
  'UserString.UserString': 'collections.UserString', 'whichdb.whichdb': 'dbm.whichdb', '_socket.fromfd': 'socket.fromfd',
  '_multiprocessing.Connection': 'multiprocessing.connection.Connection', 'multiprocessing.process.Process': 'multiprocessing.context.Process',
  'multiprocessing.forking.Popen': 'multiprocessing.popen_fork.Popen', 'urllib.ContentTooShortError': 'urllib.error.ContentTooShortError',
  'urllib.getproxies': 'urllib.request.getproxies', 'urllib.pathname2url': 'urllib.request.pathname2url', 'urllib.quote_plus': 'urllib.parse.quote_plus',
  'urllib.quote': 'urllib.parse.quote', 'urllib.unquote_plus': 'urllib.parse.unquote_plus', 'urllib.unquote': 'urllib.parse.unquote',
  'urllib.url2pathname': 'urllib.request.url2pathname', 'urllib.urlcleanup': 'urllib.request.urlcleanup', 'urllib.urlencode': 'urllib.parse.urlencode',
  'urllib.urlopen': 'urllib.request.urlopen', 'urllib.urlretrieve': 'urllib.request.urlretrieve', 'urllib2.HTTPError': 'urllib.error.HTTPError',
  'urllib2.URLError': 'urllib.error.URLError', 'multiprocessing.AuthenticationError': 'multiprocessing.context.AuthenticationError',
  'multiprocessing.BufferTooShort': 'multiprocessing.context.BufferTooShort', 'multiprocessing.ProcessError': 'multiprocessing.context.ProcessError',
  'multiprocessing.TimeoutError': 'multiprocessing.context.TimeoutError', 'socket._socketobject': 'socket.SocketType',
  'exceptions.StandardError': 'builtins.Exception',
};

const PY2_EXCEPTIONS = new Set(
  ('ArithmeticError AssertionError AttributeError BaseException BufferError BytesWarning DeprecationWarning EOFError EnvironmentError ' +
    'Exception FloatingPointError FutureWarning GeneratorExit IOError ImportError ImportWarning IndentationError IndexError KeyError ' +
    'KeyboardInterrupt LookupError MemoryError NameError NotImplementedError OSError OverflowError PendingDeprecationWarning ReferenceError ' +
    'RuntimeError RuntimeWarning StopIteration SyntaxError SyntaxWarning SystemError SystemExit TabError TypeError UnboundLocalError ' +
    'UnicodeDecodeError UnicodeEncodeError UnicodeError UnicodeTranslateError UnicodeWarning UserWarning ValueError Warning ZeroDivisionError').split(' '),
);

/**
 * The (module, name) CPython's unpickler actually imports: `_compat_pickle` renames apply when the
 * stream's protocol is below 3 (`fix_imports` defaults to on), so `__builtin__.eval` is `builtins.eval`
 * and `commands.getoutput` is `subprocess.getoutput`.
 */
export function mapPython2Name(module: string, name: string, proto: number): { module: string; name: string } {
  if (proto >= 3) return { module, name };
  const full = NAME_MAPPING[`${module}.${name}`];
  if (full !== undefined) {
    const dot = full.lastIndexOf('.');
    return { module: full.slice(0, dot), name: full.slice(dot + 1) };
  }
  if (module === 'exceptions' && PY2_EXCEPTIONS.has(name)) return { module: 'builtins', name };
  const mod = IMPORT_MAPPING[module];
  return mod !== undefined ? { module: mod, name } : { module, name };
}

// ---------------------------------------------------------------------------------------------
// Critical: whole modules (and every submodule) that hand out code execution, processes, imports,
// deserializers of other payloads, the network or the file system.

const CRITICAL_MODULES: Record<string, string> = {
  os: 'gives operating-system access (processes, files, environment)',
  posix: 'is the os module under another name',
  nt: 'is the os module under another name',
  subprocess: 'runs external programs',
  _posixsubprocess: 'spawns processes (the engine behind subprocess)',
  _winapi: 'spawns processes on Windows',
  pty: 'spawns a shell on a pseudo-terminal',
  commands: 'runs shell commands (Python 2)',
  popen2: 'runs shell commands (Python 2)',
  runpy: 'runs Python modules and scripts',
  importlib: 'imports arbitrary modules',
  imp: 'imports arbitrary modules',
  pkgutil: 'resolves and imports arbitrary names',
  zipimport: 'imports code from zip files',
  code: 'runs Python source code',
  codeop: 'compiles Python source code',
  compileall: 'compiles Python files',
  py_compile: 'compiles Python files',
  pdb: 'runs code under the debugger',
  bdb: 'runs code under the debugger',
  trace: 'runs code under the tracer',
  profile: 'runs code under the profiler',
  cProfile: 'runs code under the profiler',
  timeit: 'compiles and runs Python source code',
  doctest: 'runs Python source code from docstrings',
  pydoc: 'imports arbitrary modules and runs a pager command',
  idlelib: 'runs Python source code (IDLE)',
  lib2to3: 'loads grammar pickles',
  ensurepip: 'runs pip',
  pip: 'installs and runs packages',
  venv: 'creates environments and runs programs',
  distutils: 'runs build commands and writes files',
  setuptools: 'runs build commands and writes files',
  multiprocessing: 'starts processes',
  'concurrent.futures': 'runs callables in worker threads or processes',
  asyncio: 'runs subprocesses and network connections',
  ctypes: 'loads native libraries and calls C functions',
  _ctypes: 'loads native libraries and calls C functions',
  cffi: 'loads native libraries and calls C functions',
  marshal: 'loads Python bytecode',
  pickle: 'loads another pickle payload',
  _pickle: 'loads another pickle payload',
  cPickle: 'loads another pickle payload',
  pickletools: 'works on other pickle payloads',
  shelve: 'loads pickles from a file',
  dill: 'loads pickled code',
  cloudpickle: 'rebuilds pickled functions and code',
  'joblib.externals.cloudpickle': 'rebuilds pickled functions and code',
  'joblib.externals.loky': 'starts worker processes',
  socket: 'opens network connections',
  _socket: 'opens network connections',
  socketserver: 'opens network servers',
  ssl: 'opens network connections',
  http: 'opens network connections',
  urllib: 'opens network connections and files by URL',
  urllib2: 'opens network connections and files by URL',
  httplib: 'opens network connections',
  requests: 'sends network requests',
  httpx: 'sends network requests',
  aiohttp: 'sends network requests',
  urllib3: 'sends network requests',
  ftplib: 'opens network connections',
  smtplib: 'sends email',
  telnetlib: 'opens network connections',
  poplib: 'opens network connections',
  imaplib: 'opens network connections',
  nntplib: 'opens network connections',
  xmlrpc: 'calls remote procedures',
  webbrowser: 'opens a browser (runs a program)',
  shutil: 'copies, moves and deletes files and folders',
  sys: 'reaches the interpreter state (sys.modules, sys.settrace…)',
  gc: 'reaches every live object (gc.get_objects)',
  signal: 'installs signal handlers',
  _signal: 'installs signal handlers',
  mailcap: 'runs mailcap commands',
  'logging.config': 'loads logging configuration (it can import and call anything)',
  sqlite3: 'opens database files',
  tempfile: 'creates files',
  fileinput: 'reads files',
  tarfile: 'extracts archives onto the file system',
  zipfile: 'extracts archives onto the file system',
  'numpy.f2py': 'compiles and evaluates code (numpy.f2py)',
  'numpy.testing': 'runs code strings (numpy.testing runstring)',
  'numpy.distutils': 'runs build commands',
  'numpy.ctypeslib': 'loads native libraries',
  'torch.hub': 'downloads and runs code (torch.hub)',
  'torch.jit': 'compiles and runs TorchScript / Python code',
  'torch._inductor': 'compiles and runs generated code',
  'torch._dynamo': 'evaluates guard code',
  'torch.fx': 'rebuilds modules from Python source (exec)',
  'torch.package': 'imports code from a package archive',
  'torch.utils.cpp_extension': 'compiles and loads native code',
  'torch.utils.collect_env': 'runs shell commands',
  'torch.utils.bottleneck': 'runs scripts under the profiler',
  'torch.utils._config_module': 'loads pickled configuration',
  'torch.utils.data.datapipes.utils.decoder': 'decodes embedded pickles',
  'torch.testing._internal': 'runs test helpers (shell commands, exec)',
  'torch.distributed.rpc': 'runs functions on remote workers',
  'torch.multiprocessing': 'starts processes',
  'torch._ops': 'loads native operator libraries',
  'torch.ops': 'loads native operator libraries',
  'torch.classes': 'loads native class libraries',
  'torch.export': 'loads exported programs',
  'torch.compiler': 'compiles and runs generated code',
};

// Critical names inside modules that are otherwise harmless (or only partly dangerous).
const CRITICAL_NAMES: Record<string, Record<string, string>> = {
  builtins: {
    eval: 'evaluates a Python expression',
    exec: 'runs Python source code',
    execfile: 'runs a Python file',
    compile: 'compiles Python source code',
    __import__: 'imports an arbitrary module',
    getattr: 'fetches any attribute of any object (getattr gadget)',
    setattr: 'overwrites attributes of any object',
    delattr: 'deletes attributes of any object',
    globals: 'reaches the module namespace',
    locals: 'reaches the local namespace',
    vars: 'reaches an object namespace',
    open: 'opens files for reading or writing',
    input: 'reads from the terminal',
    breakpoint: 'starts the debugger',
    apply: 'calls any callable (Python 2 apply)',
    reload: 'reloads modules',
    help: 'runs the pydoc pager',
    __build_class__: 'builds classes from code',
  },
  io: { open: 'opens files for reading or writing', open_code: 'opens files', FileIO: 'opens files for reading or writing' },
  _io: { open: 'opens files for reading or writing', open_code: 'opens files', FileIO: 'opens files for reading or writing' },
  codecs: { open: 'opens files for reading or writing' },
  operator: {
    attrgetter: 'fetches attributes by name (attrgetter chain gadget)',
    methodcaller: 'calls a method by name on any object (methodcaller gadget)',
    call: 'calls any callable',
  },
  _operator: {
    attrgetter: 'fetches attributes by name (attrgetter chain gadget)',
    methodcaller: 'calls a method by name on any object (methodcaller gadget)',
    call: 'calls any callable',
  },
  types: {
    CodeType: 'builds Python bytecode objects',
    FunctionType: 'builds functions from bytecode',
    LambdaType: 'builds functions from bytecode',
    MethodType: 'binds arbitrary callables as methods',
    ModuleType: 'creates module objects',
  },
  copyreg: {
    add_extension: 'registers extension codes (EXT opcodes then load any global)',
    _extension_registry: 'is the extension registry',
    _inverted_registry: 'is the extension registry',
    _extension_cache: 'is the extension cache',
  },
  platform: { popen: 'runs a shell command', _syscmd_ver: 'runs a shell command', _syscmd_file: 'runs a shell command' },
  uuid: { _get_command_stdout: 'runs a program', _popen: 'runs a program' },
  'logging.handlers': { SocketHandler: 'opens network connections', DatagramHandler: 'opens network connections', SysLogHandler: 'opens network connections', HTTPHandler: 'sends HTTP requests', SMTPHandler: 'sends email' },
  numpy: {
    load: 'loads another file (numpy.load can unpickle)',
    fromfile: 'reads files',
    loadtxt: 'reads files and calls converters',
    genfromtxt: 'reads files and calls converters',
    save: 'writes files',
    savez: 'writes files',
    savez_compressed: 'writes files',
    savetxt: 'writes files',
    memmap: 'maps files into memory',
    DataSource: 'opens files and URLs',
  },
  'numpy.lib.npyio': { load: 'loads another file (numpy.load can unpickle)' },
  'numpy.lib._npyio_impl': { load: 'loads another file (numpy.load can unpickle)' },
  'numpy.lib.format': { read_array: 'reads arrays (and pickles) from a file', open_memmap: 'maps files into memory' },
  torch: {
    load: 'loads another checkpoint (torch.load)',
    compile: 'compiles and runs generated code',
    from_file: 'reads files',
    save: 'writes files',
  },
  'torch.serialization': {
    load: 'loads another checkpoint (torch.load)',
    _load: 'loads another checkpoint',
    _legacy_load: 'loads another checkpoint',
    legacy_load: 'loads another checkpoint',
    save: 'writes files',
  },
  'torch.storage': { _load_from_bytes: 'loads an embedded checkpoint with torch.load (weights_only=False); the embedded payload is not scanned' },
  'torch._utils': { _import_dotted_name: 'imports an arbitrary module' },
  'torch.utils.data.datapipes': { decoder: 'decodes embedded pickles' },
  joblib: { load: 'loads another pickle file (joblib.load)', dump: 'writes files' },
  'joblib.numpy_pickle': { load: 'loads another pickle file (joblib.load)', dump: 'writes files', _unpickle: 'loads another pickle' },
  'sklearn.externals.joblib': { load: 'loads another pickle file (joblib.load)' },
  pandas: { read_pickle: 'loads another pickle file', read_csv: 'reads files and URLs', read_json: 'reads files and URLs', eval: 'evaluates expressions' },
  'pandas.io.pickle': { read_pickle: 'loads another pickle file' },
  yaml: { load: 'loads YAML with arbitrary Python objects', unsafe_load: 'loads YAML with arbitrary Python objects', full_load: 'loads YAML with Python objects' },
  atexit: { register: 'runs a callable at interpreter exit' },
  inspect: { getsource: 'reads source files' },
  linecache: { getline: 'reads files', getlines: 'reads files', updatecache: 'reads files' },
  site: { main: 'runs site initialisation', addsitedir: 'executes .pth files' },
};

// Names that are code-execution gadgets whatever module hands them out (a module that did
// `from os import system` re-exports os.system under its own name).
const CRITICAL_LEAF_NAMES: Record<string, string> = {
  system: 'runs a shell command',
  popen: 'runs a shell command',
  popen2: 'runs a shell command',
  popen3: 'runs a shell command',
  popen4: 'runs a shell command',
  Popen: 'runs a program',
  getoutput: 'runs a shell command',
  getstatusoutput: 'runs a shell command',
  check_output: 'runs a program',
  check_call: 'runs a program',
  spawnv: 'runs a program', spawnve: 'runs a program', spawnvp: 'runs a program', spawnvpe: 'runs a program',
  spawnl: 'runs a program', spawnle: 'runs a program', spawnlp: 'runs a program', spawnlpe: 'runs a program',
  posix_spawn: 'runs a program', posix_spawnp: 'runs a program',
  execv: 'replaces the process with a program', execve: 'replaces the process with a program', execvp: 'replaces the process with a program',
  execvpe: 'replaces the process with a program', execl: 'replaces the process with a program', execle: 'replaces the process with a program',
  execlp: 'replaces the process with a program', execlpe: 'replaces the process with a program',
  fork: 'forks the process', forkpty: 'forks the process', startfile: 'opens a file with its associated program',
  run_path: 'runs a Python file', run_module: 'runs a Python module', runcode: 'runs Python code', runsource: 'runs Python source',
  runctx: 'runs Python code', runcommand: 'runs Python code', runstring: 'runs Python source',
  exec: 'runs Python source code', eval: 'evaluates a Python expression', execfile: 'runs a Python file',
  __import__: 'imports an arbitrary module', import_module: 'imports an arbitrary module', resolve_name: 'imports an arbitrary name',
  locate: 'imports an arbitrary name', _import_dotted_name: 'imports an arbitrary module',
  CDLL: 'loads a native library', PyDLL: 'loads a native library', WinDLL: 'loads a native library', OleDLL: 'loads a native library',
  LoadLibrary: 'loads a native library', dlopen: 'loads a native library', load_library: 'loads a native library',
  InteractiveInterpreter: 'runs Python source', InteractiveConsole: 'runs Python source', interact: 'runs Python source',
  execWrapper: 'runs Python source', compile_file: 'runs a compiler command', evaluate_guards_expression: 'evaluates Python code',
  parse_type_line: 'evaluates Python code', _run_code: 'runs Python code', _run_pip: 'runs pip', debug_script: 'runs Python code',
  pipepager: 'runs a pager command', findmatch: 'runs mailcap commands', spawn: 'runs a program',
};

// Module-valued attribute names: a dotted name that walks through one of them reaches a
// dangerous module from a harmless-looking one (`collections._sys.modules`, `posixpath.os.system`).
const DANGEROUS_ATTRS = new Set([
  'os', '_os', 'sys', '_sys', 'modules', 'subprocess', '_subprocess', 'builtins', '__builtins__', '_builtins', 'posix', 'nt', 'importlib',
  '_bootstrap', '_bootstrap_external', 'pickle', '_pickle', 'marshal', 'ctypes', '_ctypes', 'shutil', 'socket', '_socket', 'runpy', 'pty',
  'imp', 'pkgutil', 'io', '_io', 'codecs', 'linecache', 'tokenize', 'threading', '_thread', 'multiprocessing', 'gc', 'inspect', 'types',
  'operator', '_operator', 'functools', 'webbrowser', 'pdb', 'code', 'cProfile', 'profile', 'timeit', 'platform', 'tempfile', 'glob',
  'dill', 'cloudpickle', 'joblib', 'torch', 'numpy', 'np', 'pd', 'pandas', 'yaml', 'requests', 'urllib', 'http', 'ssl', 'asyncio',
]);

// High: dangerous, not a direct code-execution gadget.
const HIGH_MODULES: Record<string, string> = {
  pathlib: 'reads and writes files',
  glob: 'lists files',
  posixpath: 'is the path module of os (its attributes reach os)',
  ntpath: 'is the path module of os (its attributes reach os)',
  genericpath: 'inspects the file system',
  threading: 'runs callables in threads',
  _thread: 'runs callables in threads',
  mmap: 'maps files into memory',
  select: 'waits on file descriptors',
  selectors: 'waits on file descriptors',
  syslog: 'writes to the system log',
  resource: 'changes process resource limits',
  faulthandler: 'dumps tracebacks to files',
  tracemalloc: 'reaches interpreter internals',
  inspect: 'reaches frames and source code',
  linecache: 'reads files',
  dbm: 'opens database files',
  'logging.handlers': 'writes files or sends logs over the network',
  'xml.etree.ElementTree': 'parses files',
  crypt: 'calls the C library',
  readline: 'reads and writes history files',
  getpass: 'reads from the terminal',
  copyreg: 'manipulates the pickle registries',
};

const HIGH_NAMES: Record<string, Record<string, string>> = {
  builtins: { exit: 'exits the interpreter', quit: 'exits the interpreter' },
  operator: { itemgetter: 'fetches items by key (getter gadget)', getitem: 'fetches items by key', setitem: 'writes items by key', delitem: 'deletes items by key' },
  _operator: { itemgetter: 'fetches items by key (getter gadget)', getitem: 'fetches items by key', setitem: 'writes items by key', delitem: 'deletes items by key' },
  logging: { FileHandler: 'writes files', basicConfig: 'configures logging (can open files)' },
  collections: { namedtuple: 'generates classes from source text' },
  joblib: { Parallel: 'runs callables in worker processes', Memory: 'caches results on disk' },
  'joblib.parallel': { Parallel: 'runs callables in worker processes' },
  'joblib.memory': { Memory: 'caches results on disk', MemorizedFunc: 'caches results on disk' },
};

// ---------------------------------------------------------------------------------------------
// Allow-lists.

const GENERIC_ALLOWED = [
  'collections.OrderedDict', 'collections.defaultdict', 'collections.Counter', 'collections.deque',
  'builtins.set', 'builtins.frozenset', 'builtins.complex', 'builtins.slice', 'builtins.range', 'builtins.bytearray',
  'builtins.bytes', 'builtins.object', 'builtins.dict', 'builtins.list', 'builtins.tuple', 'builtins.int', 'builtins.float',
  'builtins.str', 'builtins.bool', 'builtins.Ellipsis', 'builtins.NotImplemented',
  '_codecs.encode', 'copyreg._reconstructor', 'copyreg.__newobj__', 'copyreg.__newobj_ex__',
  'datetime.datetime', 'datetime.date', 'datetime.time', 'datetime.timedelta', 'datetime.timezone',
  'decimal.Decimal', 'fractions.Fraction', 'uuid.UUID', 'argparse.Namespace', 'types.SimpleNamespace',
  'pathlib.Path', 'pathlib.PosixPath', 'pathlib.WindowsPath', 'pathlib.PurePath', 'pathlib.PurePosixPath', 'pathlib.PureWindowsPath',
  're._compile', 'enum.Enum', 'enum.IntEnum',
];

const NUMPY_SCALAR_TYPES =
  'bool_ bool int8 int16 int32 int64 uint8 uint16 uint32 uint64 float16 float32 float64 longdouble complex64 complex128 clongdouble ' +
  'str_ bytes_ void object_ datetime64 timedelta64 intc uintc intp uintp int_ uint longlong ulonglong half single double csingle ' +
  'cdouble byte ubyte short ushort float_ complex_ string_ unicode_ number integer floating generic';

const NUMPY_ALLOWED = [
  'numpy.core.multiarray._reconstruct', 'numpy._core.multiarray._reconstruct', 'numpy.core.multiarray.scalar', 'numpy._core.multiarray.scalar',
  'numpy.core.numeric._frombuffer', 'numpy._core.numeric._frombuffer', 'numpy.ndarray', 'numpy.dtype', 'numpy.core.multiarray.ndarray',
  'numpy._core.multiarray.ndarray', 'numpy.ma.core._mareconstruct', 'numpy.ma.core.MaskedArray', 'numpy.ma.MaskedArray',
  'numpy.matrix', 'numpy.matrixlib.defmatrix.matrix', 'numpy.recarray', 'numpy.rec.recarray', 'numpy.core.records.recarray',
  'numpy.random._pickle.__randomstate_ctor', 'numpy.random._pickle.__generator_ctor', 'numpy.random._pickle.__bit_generator_ctor',
  'numpy.random.mtrand.RandomState', 'numpy.random._generator.Generator', 'numpy.random._mt19937.MT19937', 'numpy.random._pcg64.PCG64',
  'numpy.random._pcg64.PCG64DXSM', 'numpy.random._philox.Philox', 'numpy.random._sfc64.SFC64', 'numpy.random.bit_generator.SeedSequence',
  'numpy.random.bit_generator.__pyx_unpickle_SeedSequence',
  ...NUMPY_SCALAR_TYPES.split(' ').map((t) => `numpy.${t}`),
];

const TORCH_STORAGE_NAMES = [
  'DoubleStorage', 'FloatStorage', 'HalfStorage', 'LongStorage', 'IntStorage', 'ShortStorage', 'CharStorage', 'ByteStorage', 'BoolStorage',
  'BFloat16Storage', 'ComplexDoubleStorage', 'ComplexFloatStorage', 'QUInt8Storage', 'QInt8Storage', 'QInt32Storage', 'QUInt4x2Storage',
  'QUInt2x4Storage',
];

/** Bytes per element of each legacy storage class (torch/_utils.py `_element_size`). */
export const TORCH_STORAGE_ELEMENT_SIZE: Record<string, number> = {
  DoubleStorage: 8, FloatStorage: 4, HalfStorage: 2, LongStorage: 8, IntStorage: 4, ShortStorage: 2, CharStorage: 1, ByteStorage: 1,
  BoolStorage: 1, BFloat16Storage: 2, ComplexDoubleStorage: 16, ComplexFloatStorage: 8, QUInt8Storage: 1, QInt8Storage: 1,
  QInt32Storage: 4, QUInt4x2Storage: 1, QUInt2x4Storage: 1, UntypedStorage: 1,
};

const TORCH_DTYPES =
  'float32 float float64 double float16 half bfloat16 int8 int16 short int32 int int64 long uint8 uint16 uint32 uint64 bool complex32 ' +
  'complex64 cfloat complex128 cdouble chalf quint8 qint8 qint32 quint4x2 quint2x4 float8_e4m3fn float8_e5m2 float8_e4m3fnuz ' +
  'float8_e5m2fnuz float8_e8m0fnu float4_e2m1fn_x2 bits8 bits16 bits1x8 bits2x4 bits4x2 uint1 uint2 uint3 uint4 uint5 uint6 uint7 int1 ' +
  'int2 int3 int4 int5 int6 int7 strided sparse_coo sparse_csr sparse_csc sparse_bsr sparse_bsc _mkldnn jagged contiguous_format ' +
  'channels_last channels_last_3d preserve_format per_tensor_affine per_tensor_symmetric per_channel_affine per_channel_symmetric ' +
  'per_channel_affine_float_qparams';

const TORCH_TENSOR_TYPES = 'Double Float Half BFloat16 Long Int Short Char Byte Bool';

const TORCH_REBUILD = [
  '_rebuild_tensor', '_rebuild_tensor_v2', '_rebuild_tensor_v3', '_rebuild_parameter', '_rebuild_parameter_with_state', '_rebuild_qtensor',
  '_rebuild_sparse_tensor', '_rebuild_sparse_csr_tensor', '_rebuild_meta_tensor_no_storage', '_rebuild_wrapper_subclass',
  '_rebuild_device_tensor_from_numpy', '_rebuild_device_tensor_from_cpu_tensor', '_rebuild_xla_tensor', '_rebuild_mlc_tensor',
  '_rebuild_nested_tensor',
];

const TORCH_ALLOWED = [
  ...TORCH_REBUILD.map((f) => `torch._utils.${f}`),
  'torch._tensor._rebuild_from_type_v2', 'torch._tensor._rebuild_from_type', 'torch.tensor._rebuild_from_type_v2',
  'torch.serialization._get_layout', 'torch.Size', 'torch.device', 'torch.Tensor', 'torch._tensor.Tensor', 'torch.nn.parameter.Parameter',
  'torch.nn.parameter.Buffer', 'torch.storage.TypedStorage', 'torch.storage.UntypedStorage', 'torch.UntypedStorage', 'torch.TypedStorage',
  'torch._utils._set_obj_state',
  // TorchScript's list/type tags: identity functions in Python (torch/jit/_pickle.py), special-cased by the C++ unpickler.
  ...['build_intlist', 'build_tensorlist', 'build_doublelist', 'build_boollist', 'build_complexlist', 'build_tensor_from_id', 'restore_type_tag'].map((f) => `torch.jit._pickle.${f}`),
  ...TORCH_STORAGE_NAMES.flatMap((s) => [`torch.${s}`, `torch.cuda.${s}`]),
  ...TORCH_TENSOR_TYPES.split(' ').flatMap((t) => [`torch.${t}Tensor`, `torch.cuda.${t}Tensor`]),
  ...TORCH_DTYPES.split(' ').map((d) => `torch.${d}`),
];

/** scikit-learn's Cython `newObj(cls)` (cls.__new__(cls)) used by KD/ball trees and distance metrics: see APPLY_LIKE. */
const SKLEARN_NEWOBJ = ['sklearn.neighbors._kd_tree.newObj', 'sklearn.neighbors._ball_tree.newObj', 'sklearn.neighbors._binary_tree.newObj', 'sklearn.metrics._dist_metrics.newObj'];

const JOBLIB_ALLOWED = [
  'joblib.numpy_pickle.NumpyArrayWrapper', 'sklearn.externals.joblib.numpy_pickle.NumpyArrayWrapper',
  ...SKLEARN_NEWOBJ,
  ...(
    'log log1p log2 log10 exp exp2 expm1 sqrt cbrt square abs absolute fabs sign negative reciprocal sin cos tan arcsin arccos arctan sinh cosh tanh ' +
    'arcsinh arccosh arctanh floor ceil rint trunc maximum minimum fmax fmin add subtract multiply divide true_divide floor_divide power ' +
    'mod remainder clip mean median sum nanmean nanmedian nansum std var amin amax min max round around isnan isfinite'
  )
    .split(' ')
    .map((f) => `numpy.${f}`),
];

const FAMILY_ALLOWED: Record<PickleFamily, Set<string>> = {
  generic: new Set([...GENERIC_ALLOWED, ...NUMPY_ALLOWED]),
  numpy: new Set([...GENERIC_ALLOWED, ...NUMPY_ALLOWED]),
  pytorch: new Set([...GENERIC_ALLOWED, ...NUMPY_ALLOWED, ...TORCH_ALLOWED]),
  torchscript: new Set([...GENERIC_ALLOWED, ...NUMPY_ALLOWED, ...TORCH_ALLOWED]),
  'tensor-pickle': new Set([...GENERIC_ALLOWED, ...NUMPY_ALLOWED, ...TORCH_ALLOWED]),
  joblib: new Set([...GENERIC_ALLOWED, ...NUMPY_ALLOWED, ...JOBLIB_ALLOWED]),
};

// Legacy joblib wrappers: they read side files next to the pickle. Allowed for review, not passed.
const JOBLIB_LEGACY = new Set(['joblib.numpy_pickle.NDArrayWrapper', 'joblib.numpy_pickle.ZNDArrayWrapper', 'joblib.numpy_pickle_compat.NDArrayWrapper', 'joblib.numpy_pickle_compat.ZNDArrayWrapper']);

const CAMEL_CLASS = /^_?[A-Z][A-Za-z0-9_]*$/;
/** Longest dotted path classified step by step (real module paths and qualnames are far shorter). */
const MAX_WALK = 48;
const PYX_UNPICKLE = /^__pyx_unpickle_[A-Za-z0-9_]+$/;
const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Callables that call one of their arguments: a dangerous argument makes the call dangerous. */
export const APPLY_LIKE: Record<string, { arg: number; how: string }> = {
  'torch._tensor._rebuild_from_type_v2': { arg: 0, how: 'calls its first argument' },
  'torch._tensor._rebuild_from_type': { arg: 0, how: 'calls its first argument' },
  'torch.tensor._rebuild_from_type_v2': { arg: 0, how: 'calls its first argument' },
  'functools.partial': { arg: 0, how: 'wraps its first argument' },
  'functools.reduce': { arg: 0, how: 'calls its first argument' },
  'builtins.map': { arg: 0, how: 'calls its first argument' },
  'builtins.filter': { arg: 0, how: 'calls its first argument' },
  'copyreg._reconstructor': { arg: 1, how: 'calls __init__ of its second argument' },
  'copyreg.__newobj__': { arg: 0, how: 'creates an instance of its first argument' },
  'copyreg.__newobj_ex__': { arg: 0, how: 'creates an instance of its first argument' },
  'collections.defaultdict': { arg: 0, how: 'keeps its first argument as a factory it calls later' },
  'numpy.core.multiarray._reconstruct': { arg: 0, how: 'creates an instance of its first argument' },
  'numpy._core.multiarray._reconstruct': { arg: 0, how: 'creates an instance of its first argument' },
  ...Object.fromEntries(SKLEARN_NEWOBJ.map((f) => [f, { arg: 0, how: 'creates an instance of its first argument' }])),
};

function moduleRule<T>(table: Record<string, T>, module: string): T | undefined {
  // Exact module or any parent package: `asyncio.subprocess` falls under `asyncio`.
  let m = module;
  for (;;) {
    const hit = table[m];
    if (hit !== undefined) return hit;
    const dot = m.lastIndexOf('.');
    if (dot < 0) return undefined;
    m = m.slice(0, dot);
  }
}

function isDunder(s: string): boolean {
  return s.length > 4 && s.startsWith('__') && s.endsWith('__');
}

/**
 * Classifies one (module, attribute) pair without dotted-name traversal. The reason is a predicate
 * ("runs a shell command (posix is the os module under another name)"); classifyGlobal adds the subject.
 */
function classifyPlain(module: string, name: string): GlobalClass | null {
  const mod = module === '__builtin__' || module === '__builtins__' ? 'builtins' : module;
  const exact = CRITICAL_NAMES[mod]?.[name];
  if (exact) return { risk: 'critical', reason: exact };
  const wholeModule = moduleRule(CRITICAL_MODULES, mod);
  const leaf = CRITICAL_LEAF_NAMES[name.split('.').pop() ?? name];
  if (wholeModule) return { risk: 'critical', reason: leaf ? `${leaf} (${mod} ${wholeModule})` : `comes from ${mod}, which ${wholeModule}` };
  if (leaf) return { risk: 'critical', reason: leaf };
  return null;
}

function subject(module: string, name: string, c: GlobalClass): GlobalClass {
  return { risk: c.risk, reason: `${module}.${name} ${c.reason}` };
}

/**
 * Classifies a global for a family. `module` and `name` are the ones CPython imports (after the
 * Python 2 mapping, see mapPython2Name). A dotted `name` is an attribute walk: every step is checked.
 * The reason is a clause a reviewer reads as is: "posix.system runs a shell command (…)".
 */
export function classifyGlobal(module: string, name: string, family: PickleFamily): GlobalClass {
  return subject(module, name, classifyPredicate(module, name, family));
}

function classifyPredicate(module: string, name: string, family: PickleFamily): GlobalClass {
  if (module === '' || name === '') return { risk: 'high', reason: 'has an empty module or name (malformed)' };
  const full = `${module}.${name}`;
  const segments = name.split('.');
  const modSegments = module.split('.');
  if (segments.some((s) => s === '') || modSegments.some((s) => s === '')) return { risk: 'high', reason: 'is a malformed dotted name' };
  if (segments.length + modSegments.length > MAX_WALK) return { risk: 'high', reason: `is an attribute walk of ${segments.length + modSegments.length} steps, too long to check` };
  if (FAMILY_ALLOWED[family].has(full)) return { risk: 'allowed', reason: `is on the allow-list for ${familyLabel(family)}` };

  // Every split of the walk is a (module, attribute) pair CPython may reach: the named gadgets first.
  const all = [...modSegments, ...segments];
  let worst: GlobalClass | null = null;
  for (let i = modSegments.length; i <= all.length - 1; i++) {
    const m = all.slice(0, i).join('.');
    const rest = all.slice(i);
    for (const candidate of [rest.join('.'), rest[0] as string, rest[rest.length - 1] as string]) {
      const c = classifyPlain(m, candidate);
      if (c && (!worst || rankOf(c.risk) > rankOf(worst.risk))) worst = c;
    }
  }
  if (worst) return worst;
  // Attribute walks: dunders (__builtins__, __globals__, __class__, __subclasses__…) and module-valued
  // attributes (os, sys, modules…) reach anything from a harmless-looking start.
  for (const s of segments) {
    if (isDunder(s)) return { risk: 'critical', reason: `walks through ${s}, which reaches interpreter internals (any module, any function)` };
  }
  for (let i = 0; i < segments.length - 1; i++) {
    const s = segments[i] as string;
    if (DANGEROUS_ATTRS.has(s)) return { risk: 'critical', reason: `walks through the attribute ${s}, a module object reachable from ${module}` };
  }
  for (const s of modSegments.slice(1)) {
    if (isDunder(s)) return { risk: 'critical', reason: 'imports a dunder module path' };
  }

  if (family === 'torchscript' && modSegments[0] === '__torch__' && [...modSegments.slice(1), ...segments].every((x) => IDENT.test(x) && !isDunder(x))) {
    return { risk: 'allowed', reason: 'is a TorchScript class compiled from the archive\'s code/ by torch.jit.load (not a Python import)' };
  }
  if (segments.length === 1) {
    if ((family === 'pytorch' || family === 'torchscript') && TORCH_STORAGE_NAMES.includes(name)) {
      // torch.load's find_class answers every "...Storage" name with a StorageType, importing nothing.
      return { risk: 'allowed', reason: 'is a storage type torch.load resolves without importing' };
    }
    if (family === 'joblib') {
      const top = modSegments[0];
      if (module.startsWith('scipy.sparse') && modSegments.every((s) => IDENT.test(s) && !isDunder(s)) && /^(csr|csc|coo|lil|dok|bsr|dia)_(matrix|array)$/.test(name)) {
        return { risk: 'allowed', reason: 'is a scipy.sparse matrix class' };
      }
      if ((top === 'sklearn' || module.startsWith('scipy.sparse')) && modSegments.every((s) => IDENT.test(s) && !isDunder(s)) && CAMEL_CLASS.test(name)) {
        return { risk: 'allowed', reason: `is a ${top === 'sklearn' ? 'scikit-learn' : 'scipy.sparse'} class` };
      }
      if (JOBLIB_LEGACY.has(full)) return { risk: 'medium', reason: 'is a legacy joblib array wrapper that reads side files next to the pickle' };
    }
    if ((module.startsWith('numpy.') || module.startsWith('sklearn.') || module.startsWith('scipy.')) && PYX_UNPICKLE.test(name) && family !== 'pytorch') {
      return { risk: 'allowed', reason: 'is a Cython unpickle helper of a numeric library' };
    }
    if (module.startsWith('numpy.dtypes') && /^[A-Za-z0-9]+DType$/.test(name)) return { risk: 'allowed', reason: 'is a numpy dtype class' };
  }

  const highName = HIGH_NAMES[module]?.[name];
  if (highName) return { risk: 'high', reason: highName };
  const highModule = moduleRule(HIGH_MODULES, module);
  if (highModule) return { risk: 'high', reason: `comes from ${module}, which ${highModule}` };
  if (segments.length > 1) return { risk: 'medium', reason: `is an attribute walk (${name}) that is not on the allow-list for ${familyLabel(family)}` };
  if (segments[segments.length - 1] === 'load' || segments[segments.length - 1] === 'loads') {
    return { risk: 'high', reason: 'loads data from a file or bytes (possibly another pickle)' };
  }
  return { risk: 'medium', reason: `is not on the allow-list for ${familyLabel(family)}` };
}

const RANKS: Record<GlobalRisk, number> = { allowed: 0, medium: 1, high: 2, critical: 3 };
export function rankOf(r: GlobalRisk): number {
  return RANKS[r];
}

export function familyLabel(family: PickleFamily): string {
  switch (family) {
    case 'pytorch':
      return 'PyTorch checkpoints';
    case 'torchscript':
      return 'TorchScript archives';
    case 'tensor-pickle':
      return 'pickled tensors';
    case 'numpy':
      return 'numpy object arrays';
    case 'joblib':
      return 'joblib / scikit-learn files';
    case 'generic':
      return 'plain pickles';
  }
}

/** True when `module.name` is a storage class of a PyTorch checkpoint (any module: see classifyGlobal). */
export function isTorchStorageName(name: string): boolean {
  return TORCH_STORAGE_NAMES.includes(name) || name === 'UntypedStorage' || name === 'TypedStorage';
}

/** The joblib array wrapper whose BUILD is followed by raw array bytes (or a nested pickle). */
export function isNumpyArrayWrapper(module: string, name: string): boolean {
  return name === 'NumpyArrayWrapper' && (module === 'joblib.numpy_pickle' || module === 'sklearn.externals.joblib.numpy_pickle');
}

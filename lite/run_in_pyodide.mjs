// Runs a Python script of lite/ in the site's own Pyodide, under Node, for build_site.py:
//   node lite/run_in_pyodide.mjs PYODIDE_FOLDER SCRIPT FOLDER
// PYODIDE_FOLDER holds Pyodide's core (pyodide.mjs, the .wasm, the standard library); SCRIPT runs as __main__ with
// lite/ on its path and FOLDER, mounted from the disk, as its one argument.
import path from "node:path";
import { pathToFileURL } from "node:url";

const [pyodideFolder, script, folder] = process.argv.slice(2).map((part) => path.resolve(part));
const { loadPyodide } = await import(pathToFileURL(path.join(pyodideFolder, "pyodide.mjs")).href);
const pyodide = await loadPyodide({ indexURL: pyodideFolder + path.sep });
for (const [hostFolder, mountPoint] of [[path.dirname(script), "/lite"], [folder, "/folder"]]) {
  pyodide.FS.mkdirTree(mountPoint);
  pyodide.FS.mount(pyodide.FS.filesystems.NODEFS, { root: hostFolder }, mountPoint);
}
pyodide.globals.set("script", `/lite/${path.basename(script)}`);
try {
  await pyodide.runPythonAsync(`
import runpy, sys
sys.argv = [script, "/folder"]
sys.path.insert(0, "/lite")
runpy.run_path(script, run_name="__main__")
`);
} catch (error) {
  console.error(error.message); // the Python traceback, without Node's dump of the minified Pyodide source
  process.exit(1);
}

import vm from 'node:vm';

/**
 * The real `process` of the Node host. Jest gives each test file its own copy,
 * whose 'warning' event never fires for warnings Node emits (such as
 * MaxListenersExceededWarning); listen on this one instead.
 */
export function hostProcess(): NodeJS.Process {
  return vm.runInThisContext('process') as NodeJS.Process;
}

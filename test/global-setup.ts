import { setup } from './temporary-directory';

export default setup;

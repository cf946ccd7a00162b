export { openDatabase, schemaVersion, DatabaseTooNew, type SqliteDatabase } from './database.js';
export { MIGRATIONS, type Migration } from './migrations.js';
export { RunsRepository, type RunPage } from './runs-repository.js';
export { PromptsRepository } from './prompts-repository.js';
export { RulesRepository } from './rules-repository.js';
export { DecisionsRepository } from './decisions-repository.js';

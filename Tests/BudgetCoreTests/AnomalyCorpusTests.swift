import Testing
import BudgetCore

@Suite struct AnomalyCorpusTests {
    @Test func corpusMeetsTheFloors() {
        let rows = AnomalyCorpus.evaluate()
        print(AnomalyCorpus.table(rows))
    }
}

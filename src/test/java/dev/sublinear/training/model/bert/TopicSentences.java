package dev.sublinear.training.model.bert;

import java.util.ArrayList;
import java.util.List;

/**
 * A small two-topic text-classification set, sports (label 0) against cooking (label 1), written for
 * BertFineTuningTest: 40 + 40 training sentences and 20 + 20 held-out sentences that appear nowhere
 * in training. Both topics mix sentence forms (statements about someone, imperatives, first person),
 * so that the first word or the sentence shape does not give the label away; and the held-out
 * sentences' topic words (jockey, slalom, shallots, custard, ...) are not in the training set, so that
 * what separates them is what those words mean: knowledge a model brings or lacks.
 */
public final class TopicSentences {

    public static final List<String> LABELS = List.of("sports", "cooking");

    static final List<String> TRAIN_SPORTS = List.of(
            "The striker scored a goal in the final minute.",
            "Our team won the championship last night.",
            "The goalkeeper saved a penalty kick.",
            "He ran the marathon in under three hours.",
            "The referee showed the defender a red card.",
            "She served an ace to win the tennis match.",
            "The coach called a timeout late in the game.",
            "Fans cheered as the batter hit a home run.",
            "Throw a long pass to the receiver.",
            "We lost the match on penalties.",
            "The cyclist climbed the mountain stage first.",
            "Lift the trophy high for the crowd.",
            "The swimmer broke the world record.",
            "The boxer knocked out his opponent in round two.",
            "Practice your free throws every morning.",
            "She dribbled past three defenders.",
            "Keep your eye on the ball when you swing.",
            "The sprinter won the hundred meters.",
            "Pitch a fastball on the outside corner.",
            "The match ended in a draw.",
            "He scored a hat trick against the rivals.",
            "Sink the putt to win the hole.",
            "We trained hard before the playoffs.",
            "The stadium was full for the derby.",
            "Cross the ball into the box early.",
            "She won a gold medal at the Olympics.",
            "Skate hard and shoot on the power play.",
            "The umpire called the runner out.",
            "We were relegated after a poor season.",
            "Pass the ball wide and run into space.",
            "The tennis final went to five sets.",
            "The manager was sacked after the defeat.",
            "Jump as far as you can from the board.",
            "The volleyball team won the deciding set.",
            "Stretch your legs before the race.",
            "The skier crashed on the downhill course.",
            "Defend deep and wait for the counterattack.",
            "The fighter defended her title.",
            "Hand the baton cleanly in the relay.",
            "The batsman hit a century in the test.");

    static final List<String> TRAIN_COOKING = List.of(
            "Chop the onions and fry them in butter.",
            "The baker left the bread in for forty minutes.",
            "Season the soup with salt and pepper.",
            "She whisked the eggs with a little milk.",
            "Simmer the sauce until it thickens.",
            "We roasted the chicken with garlic and lemon.",
            "Knead the dough for ten minutes.",
            "He added a pinch of sugar to the tomatoes.",
            "Grill the fish on both sides.",
            "The chef stirred the risotto with a wooden spoon.",
            "Peel and dice the potatoes.",
            "She melted the chocolate over low heat.",
            "Marinate the beef overnight.",
            "The pasta boiled in salted water.",
            "Sprinkle fresh herbs over the salad.",
            "Our oven was preheated to two hundred degrees.",
            "Fold the flour gently into the batter.",
            "The cake cooled before we sliced it.",
            "Saute the mushrooms in olive oil.",
            "He grated cheese over the casserole.",
            "Steam the broccoli for five minutes.",
            "We mixed the yogurt with cucumber and mint.",
            "Slice the carrots thinly.",
            "The cook browned the meat before adding stock.",
            "Squeeze lime juice over the tacos.",
            "She blended the soup until smooth.",
            "Toast the spices in a dry pan.",
            "He spread butter on the warm toast.",
            "Caramelize the onions slowly.",
            "The rice was fried with egg and soy sauce.",
            "Beat the cream until stiff peaks form.",
            "We stuffed the peppers with rice and beans.",
            "Crush the garlic with the flat of a knife.",
            "The pears were poached in red wine.",
            "Roll out the pastry on a floured board.",
            "My grandmother cooked the lentils until tender.",
            "Drizzle honey over the pancakes.",
            "The dessert chilled in the fridge for two hours.",
            "Bake the cookies until golden.",
            "He seasoned the steak before grilling it.");

    static final List<String> HELD_OUT_SPORTS = List.of(
            "The jockey urged the horse with the whip.",
            "The wrestler pinned his rival.",
            "The forward netted a stunning volley.",
            "The heavyweight retained her belt with a late flurry.",
            "The shortstop fielded a grounder.",
            "The athlete tore a hamstring.",
            "The squad flew out for an away fixture.",
            "Their linebacker flattened the quarterback.",
            "The gymnasts were judged on the vault and the beam.",
            "The fencer lunged and earned a touch.",
            "Supporters were chanting on the terraces.",
            "The archer struck the bullseye.",
            "The rowers pulled hard toward the finish.",
            "Their closer threw a curveball.",
            "The hurdler exploded out of the blocks and into the lead.",
            "The tournament was postponed because of rain.",
            "Dunk over the center and draw the foul.",
            "She qualified for the slalom.",
            "He was booked for a late tackle.",
            "Our club signed a new midfielder.");

    static final List<String> HELD_OUT_COOKING = List.of(
            "Sear the shallots in the wok.",
            "The muffins rose until a skewer came out clean.",
            "She rubbed rosemary into the lamb.",
            "Ferment the cabbage for a week.",
            "We let the pizza rise for an hour.",
            "Glaze the ham in maple syrup.",
            "He crisped the bacon in a skillet.",
            "Pour the custard into ramekins.",
            "Dust the apples in cinnamon.",
            "Mash the ripe avocado.",
            "Brine the turkey for a day.",
            "Mince the ginger and scallions.",
            "My father shaped the brioche.",
            "Scatter chives on the stew.",
            "The curry needs more cumin and turmeric.",
            "She zested an orange over the tart.",
            "Puree the berries into a smoothie.",
            "Cool the jam before sealing the jars.",
            "Skim the fat off the broth.",
            "The waffles got syrup and strawberries on top.");

    private TopicSentences() {}

    /** A sentence with its label id. */
    public record Example(String text, int label) {}

    public static List<Example> train() {
        return examples(TRAIN_SPORTS, TRAIN_COOKING);
    }

    public static List<Example> heldOut() {
        return examples(HELD_OUT_SPORTS, HELD_OUT_COOKING);
    }

    private static List<Example> examples(List<String> sports, List<String> cooking) {
        List<Example> examples = new ArrayList<>();
        sports.forEach(text -> examples.add(new Example(text, 0)));
        cooking.forEach(text -> examples.add(new Example(text, 1)));
        return examples;
    }
}
